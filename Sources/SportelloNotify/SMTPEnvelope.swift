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
        appendData(to: &out)
        return out
    }

    /// Appends the message's DATA (see `data`) to `out`, a line at a time (each copied whole, not byte by byte).
    func appendData(to out: inout [UInt8]) {
        let (dot, carriageReturn, lineFeed) = (UInt8(ascii: "."), UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        out.reserveCapacity(out.count + body.count + body.count / 32 + 8)
        body.withUnsafeBufferPointer { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                let newline = bytes[lineStart...].firstIndex(of: lineFeed)
                var lineEnd = newline ?? bytes.count
                if newline != nil && lineEnd > lineStart && bytes[lineEnd - 1] == carriageReturn { lineEnd -= 1 }
                if bytes[lineStart] == dot { out.append(dot) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]))
                out.append(carriageReturn)
                out.append(lineFeed)
                lineStart = (newline ?? bytes.count) + 1
            }
        }
        out.append(dot)
        out.append(carriageReturn)
        out.append(lineFeed)
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
