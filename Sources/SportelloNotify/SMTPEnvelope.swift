/// One message as SMTP carries it: the envelope's sender and recipient (not the headers'), and the message text.
struct SMTPEnvelope {
    /// MAIL FROM: the bounce address.
    let sender: String
    /// RCPT TO: the one recipient.
    let recipient: String
    /// The message as `MailMessage.rendered` writes it (headers, blank line, body).
    let body: [UInt8]

    /// The message's DATA: every line end CRLF, a line starting with "." doubled (RFC 5321 §4.5.2), then the
    /// final ".".
    var data: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count + 64)
        var lineStart = true
        for byte in body {
            if lineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if byte == UInt8(ascii: "\n") {
                if out.last != UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
                out.append(byte)
                lineStart = true
                continue
            }
            out.append(byte)
            lineStart = false
        }
        if !lineStart { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        return out + Array(".\r\n".utf8)
    }

    /// Whether the text has bytes over 127 (then BODY=8BITMIME is declared when the server offers it; what
    /// `MailMessage` writes is all ASCII: encoded-words, quoted-printable, base64).
    var hasEightBitText: Bool { body.contains { $0 > 127 } }

    /// Whether an address is not ASCII (then the server must offer SMTPUTF8).
    var hasUTF8Address: Bool { (sender.utf8.contains { $0 > 127 }) || (recipient.utf8.contains { $0 > 127 }) }

    /// An address that cannot break the command it is written into (no control character, space or angle
    /// bracket).
    static func isSafe(_ address: String) -> Bool {
        !address.unicodeScalars.contains { $0.value <= 32 || $0.value == 127 || $0 == "<" || $0 == ">" }
    }
}
