import Foundation
import SportelloCore
import Testing

/// `notifications.smtp`: host:port, IPv6 in brackets, everything else refused.
@Suite struct SMTPServerAddressTests {
    @Test func addressesAreReadAndWrittenBack() {
        #expect(SMTPServerAddress("127.0.0.1:25") == SMTPServerAddress(host: "127.0.0.1", port: 25))
        #expect(SMTPServerAddress("mail.comune.example.it:587")?.port == 587)
        #expect(SMTPServerAddress("[::1]:2525") == SMTPServerAddress(host: "::1", port: 2525))
        #expect(SMTPServerAddress("[::1]:2525")?.description == "[::1]:2525")
        for bad in ["", "127.0.0.1", "::1:25", "host:0", "host:70000", "host:x", "ho st:25", "[::1]", ":25", "[x]:25"] {
            #expect(SMTPServerAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func theConfigurationTakesItAndRefusesNonsense() throws {
        func parse(_ smtp: String) throws -> SiteConfiguration {
            try SiteConfiguration.parse(
                Data(
                    #"""
                    {"comune": {"name": "C", "baseURL": "https://prenota.example.it"}, "notifications": {"smtp": "\#(smtp)"},
                     "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}]}
                    """#.utf8))
        }
        #expect(try parse("127.0.0.1:25").notifications.smtp == SMTPServerAddress(host: "127.0.0.1", port: 25))
        #expect(try parse("[::1]:25").notifications.smtp == SMTPServerAddress(host: "::1", port: 25))
        #expect(throws: ConfigurationError.self) { try parse("nowhere") }
        #expect(NotificationSettings().smtp == nil)
    }
}
