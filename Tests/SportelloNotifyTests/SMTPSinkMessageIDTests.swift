import Testing

@testable import SportelloTesting

/// The sink finds a message's Message-ID in its bytes (issue 16: no String per line): any case of the header's
/// name, only among the headers.
@Suite struct SMTPSinkMessageIDTests {
    @Test func theHeaderIsFoundInAnyCaseAndOnlyAmongTheHeaders() {
        func id(_ text: String) -> String { SMTPSink.messageID(in: Array(text.utf8)) }
        #expect(id("From: a@x\r\nmessage-id:  <7.confirmed@calci>\r\n\r\nbody") == "7.confirmed@calci")
        #expect(id("MESSAGE-ID: <1@test>") == "1@test")
        #expect(id("From: a@x\r\n\r\nMessage-ID: <in-the-body@test>") == "")
        #expect(id("From: a@x\r\nSubject: Message-ID: <no>\r\n\r\n") == "")
        #expect(id("") == "")
    }
}
