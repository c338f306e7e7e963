import Foundation
import SportelloCore

/// A mail as RFC 5322 / MIME (RFC 2045–2047) text: UTF-8 headers as encoded-words, a text and an HTML
/// alternative in quoted-printable, attachments in base64, CRLF line ends and no line over 78 characters.
public struct MailMessage: Sendable {
    /// A file sent with the mail, such as the appointment's calendar entry.
    public struct Attachment: Sendable {
        /// The name the reader's mail program offers to save it as.
        public var filename: String
        /// e.g. "text/calendar; charset=utf-8; method=REQUEST"
        public var contentType: String
        /// The file's content, base64-encoded when the message is written.
        public var bytes: [UInt8]

        /// An attachment as given.
        public init(filename: String, contentType: String, bytes: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.bytes = bytes
        }
    }

    /// The sender's display name (the comune's, unless configured).
    public var fromName: String
    /// The sender's address, normally a no-reply one.
    public var fromAddress: String
    /// The citizen's address.
    public var toAddress: String
    /// The subject line, before header encoding.
    public var subject: String
    /// When the message was written (Unix seconds), for the Date header.
    public var date: Int64
    /// Stable per notification, so a copy delivered twice is recognisable as the same message.
    public var messageID: String
    /// The plain-text body, always present so every mail program can show it.
    public var text: String
    /// An HTML alternative of the body; nil = plain text only.
    public var html: String?
    /// Files sent with the mail, in order.
    public var attachments: [Attachment]

    /// A message as given; nothing is encoded until it is written out.
    public init(
        fromName: String, fromAddress: String, toAddress: String, subject: String, date: Int64, messageID: String,
        text: String, html: String? = nil, attachments: [Attachment] = []
    ) {
        self.fromName = fromName
        self.fromAddress = fromAddress
        self.toAddress = toAddress
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.text = text
        self.html = html
        self.attachments = attachments
    }

    /// The message as `sendmail -t -i` expects it on standard input.
    public var rendered: String { String(decoding: bytes, as: UTF8.self) }

    /// The message's bytes, as `rendered` reads, written straight into one buffer: the HTML and text parts and
    /// the attachments are most of a mail, and each went through several Strings and joins (issue 16).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        let attachmentBytes = attachments.reduce(0) { $0 + $1.bytes.count * 140 / 100 + 300 }
        out.reserveCapacity(
            1_024 + text.utf8.count * 11 / 10 + (html?.utf8.count ?? 0) * 11 / 10 + attachmentBytes)
        func line(_ text: String) {
            out += text.utf8
            out += Self.lineEnd
        }
        line(Self.fromHeader(name: fromName, address: fromAddress))
        line(Self.header("To", toAddress))
        line(Self.header("Subject", Self.encodedWord(subject)))
        line("Date: \(Self.rfc5322Date(date))")
        line("Message-ID: <\(messageID)>")
        line("MIME-Version: 1.0")
        line("Auto-Submitted: auto-generated")
        let mixed = Self.boundary("mixed", messageID)
        if !attachments.isEmpty {
            line("Content-Type: multipart/mixed; boundary=\"\(mixed)\"")
            line("")
            line("This is a MIME message.")
            line("--\(mixed)")
        }
        func textPart() {
            line("Content-Type: text/plain; charset=utf-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            Self.quotedPrintable(text, into: &out)
            out += Self.lineEnd
        }
        if let html {
            let alternative = Self.boundary("alt", messageID)
            line("Content-Type: multipart/alternative; boundary=\"\(alternative)\"")
            line("")
            line("--\(alternative)")
            textPart()
            line("--\(alternative)")
            line("Content-Type: text/html; charset=utf-8")
            line("Content-Transfer-Encoding: quoted-printable")
            line("")
            Self.quotedPrintable(html, into: &out)
            out += Self.lineEnd
            line("--\(alternative)--")
        } else {
            textPart()
        }
        guard !attachments.isEmpty else { return out }
        for attachment in attachments {
            // Parameters on continuation lines keep every header line short (RFC 5322 §2.2.3).
            line("--\(mixed)")
            out += "Content-Type: ".utf8
            Self.appendParameterLines(attachment.contentType, to: &out)
            line(";\r\n name=\"\(attachment.filename)\"")
            line("Content-Disposition: attachment;\r\n filename=\"\(attachment.filename)\"")
            line("Content-Transfer-Encoding: base64")
            line("")
            Self.base64Lines(attachment.bytes, into: &out)
            out += Self.lineEnd
        }
        line("--\(mixed)--")
        return out
    }

    static let lineEnd: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]

    /// The From header line, folded, without its line end. Every mail of a comune has the same sender, and the
    /// display name's quoting and encoding cost as much as a text part's encoding: each sender is written once.
    static func fromHeader(name: String, address: String) -> String {
        let key = name + "\u{0}" + address
        if let known = fromHeaders.withLock({ $0[key] }) { return known }
        let written = header("From", "\(displayName(name)) <\(address)>")
        fromHeaders.withLock { known in
            // A few senders per process; a bound all the same, should a configuration keep changing.
            if known.count >= 64 { known.removeAll() }
            known[key] = written
        }
        return written
    }

    private static let fromHeaders = Locked<[String: String]>([:])

    /// `type` with each "; " written as ";" CRLF " " (its parameters on continuation lines), as bytes.
    static func appendParameterLines(_ type: String, to out: inout [UInt8]) {
        var previous: UInt8 = 0
        for byte in type.utf8 {
            if byte == UInt8(ascii: " ") && previous == UInt8(ascii: ";") {
                out += lineEnd
            }
            out.append(byte)
            previous = byte
        }
    }

    // MARK: Encodings

    /// A header line, folded before 78 characters at spaces (RFC 5322 §2.2.3).
    static func header(_ name: String, _ value: String) -> String {
        var result = "\(name):"
        var lineLength = result.count
        // Counted in characters; an ASCII value (what encoded-words make of a subject) has one byte each, and
        // counting bytes spares breaking the text into characters.
        let ascii = value.utf8.allSatisfy { $0 < 128 }
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            let width = ascii ? word.utf8.count : word.count
            if lineLength + 1 + width > 76 && lineLength > name.count + 1 {
                result += "\r\n"
                lineLength = 0
            }
            result += " "
            result += word
            lineLength += 1 + width
        }
        return result
    }

    /// A display name as RFC 5322 §3.4 and RFC 2047 §5 allow it, built word by word: plain words as they are;
    /// runs of ASCII words holding a special character as one quoted string ("Comune di Calci (PI), Anagrafe"
    /// would otherwise read as a comment and two addresses, and the period of "S. Anna" is obsolete syntax);
    /// runs of non-ASCII words as encoded-words. Keeping the plain words plain means two encoded-words are
    /// hardly ever adjacent, where readers disagree on the space between them (RFC 2047 drops it, Python's
    /// parser and others keep it).
    static func displayName(_ name: String) -> String {
        let clean = String(String.UnicodeScalarView(name.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
        let specials: Set<Character> = ["(", ")", "<", ">", "[", "]", ":", ";", "@", "\\", ",", ".", "\""]
        func needsEncoding(_ word: Substring) -> Bool {
            word.unicodeScalars.contains { !$0.isASCII || $0.value < 32 || $0.value == 127 } || word.contains("=?")
        }
        var runs: [(encoded: Bool, words: [Substring])] = []
        for word in clean.split(separator: " ") {
            let encoded = needsEncoding(word)
            if let last = runs.last, last.encoded == encoded {
                runs[runs.count - 1].words.append(word)
            } else {
                runs.append((encoded, [word]))
            }
        }
        return runs.map { run in
            let text = run.words.joined(separator: " ")
            if run.encoded { return encodedWord(text, bytesPerWord: 45) }
            guard text.contains(where: { specials.contains($0) }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }.joined(separator: " ")
    }

    /// RFC 2047 "B" encoded-words for text that is not plain ASCII, split so each word stays under 75
    /// characters and no UTF-8 sequence is cut.
    public static func encodedWord(_ text: String, bytesPerWord: Int = 39) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 32 }) || text.contains("=?") else {
            return text
        }
        // Bytes throughout (a String per character and a `Data` per word cost more than the rest of the headers).
        var words: [UInt8] = []
        var chunk: [UInt8] = []
        func flush() {
            if !words.isEmpty { words.append(UInt8(ascii: " ")) }
            words += "=?utf-8?B?".utf8
            // `base64Lines` breaks lines after 57 bytes, which only a single character that long reaches.
            if chunk.count <= 57 {
                base64Lines(chunk, into: &words)
            } else {
                words += Data(chunk).base64EncodedString().utf8
            }
            words += "?=".utf8
            chunk.removeAll(keepingCapacity: true)
        }
        for character in text {
            // 39 bytes → 52 base64 characters, plus "=?utf-8?B?" and "?=": 64, which fits after "Subject: ".
            let bytes = character.utf8
            if chunk.count + bytes.count > bytesPerWord { flush() }
            chunk += bytes
        }
        if !chunk.isEmpty { flush() }
        return String(decoding: words, as: UTF8.self)
    }

    /// Quoted-printable (RFC 2045 §6.7) with CRLF line ends and soft breaks before 76 characters. Works on the
    /// UTF-8 bytes: a message's HTML part is most of the CPU a mail costs to compose (issue 16).
    public static func quotedPrintable(_ text: String) -> String {
        var output: [UInt8] = []
        quotedPrintable(text, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// `quotedPrintable(_:)` appended to `output`, with no String in between.
    static func quotedPrintable(_ text: String, into output: inout [UInt8]) {
        var text = text
        text.withUTF8 { quotedPrintable($0, into: &output) }
    }

    private static func quotedPrintable(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        // Written through a pointer into room for the worst case (every byte as "=XX", a soft break every 25
        // bytes): appending byte by byte checked the array's capacity and uniqueness for each (issue 16).
        let worst = bytes.count * 3 + (bytes.count / 25 + 2) * 3 + 2
        let encoded = [UInt8](unsafeUninitializedCapacity: worst) { out, written in
            written = encode(bytes, into: out)
        }
        output += encoded
    }

    /// Quoted-printable of `bytes` into `out` (room for the worst case); the number of bytes written.
    private static func encode(
        _ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>
    ) -> Int {
        let hex: StaticString = "0123456789ABCDEF"
        let digits = hex.utf8Start
        var count = 0
        var lineStart = 0
        var index = 0
        func encodeLine(_ end: Int) {
            var width = 0
            for position in lineStart..<end {
                let byte = bytes[position]
                let isLast = position == end - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
                let length = literal ? 1 : 3
                if width + length > 75 {
                    out[count] = UInt8(ascii: "=")
                    out[count + 1] = UInt8(ascii: "\r")
                    out[count + 2] = UInt8(ascii: "\n")
                    count += 3
                    width = 0
                }
                if literal {
                    out[count] = byte
                    count += 1
                } else {
                    out[count] = UInt8(ascii: "=")
                    out[count + 1] = digits[Int(byte >> 4)]
                    out[count + 2] = digits[Int(byte & 15)]
                    count += 3
                }
                width += length
            }
        }
        // CRLF, a lone CR and a lone LF each end a line.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                encodeLine(index)
                out[count] = UInt8(ascii: "\r")
                out[count + 1] = UInt8(ascii: "\n")
                count += 2
                if byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") {
                    index += 1
                }
                lineStart = index + 1
            }
            index += 1
        }
        encodeLine(bytes.count)
        return count
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        base64Lines(bytes, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Base64 (RFC 2045 §6.8) in lines of 76 characters separated by CRLF, no line end after the last.
    static func base64Lines(_ bytes: [UInt8], into output: inout [UInt8]) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        output.reserveCapacity(output.count + bytes.count * 140 / 100 + 4)
        alphabet.withUTF8Buffer { digits in
            var width = 0
            var index = 0
            while index < bytes.count {
                if width == 76 {
                    output.append(UInt8(ascii: "\r"))
                    output.append(UInt8(ascii: "\n"))
                    width = 0
                }
                let first = UInt32(bytes[index])
                let second = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
                let third = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
                let group = first << 16 | second << 8 | third
                output.append(digits[Int(group >> 18 & 63)])
                output.append(digits[Int(group >> 12 & 63)])
                output.append(index + 1 < bytes.count ? digits[Int(group >> 6 & 63)] : UInt8(ascii: "="))
                output.append(index + 2 < bytes.count ? digits[Int(group & 63)] : UInt8(ascii: "="))
                width += 4
                index += 3
            }
        }
    }

    /// "Wed, 25 Nov 2026 09:30:00 +0000"
    static func rfc5322Date(_ instant: Int64) -> String {
        let day = RomeTime.floorDiv(instant, 86_400)
        let date = CivilDate(dayNumber: Int(day))
        let seconds = Int(instant - day * 86_400)
        let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][date.weekday.isoIndex]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][date.month - 1]
        return "\(weekday), \(CivilDate.pad(date.day, 2)) \(month) \(CivilDate.pad(date.year, 4)) "
            + "\(CivilDate.pad(seconds / 3600, 2)):\(CivilDate.pad(seconds / 60 % 60, 2)):"
            + "\(CivilDate.pad(seconds % 60, 2)) +0000"
    }

    /// A boundary that cannot occur in quoted-printable or base64 text ("=_" never does) and is the same
    /// every time the message is rendered.
    static func boundary(_ kind: String, _ seed: String) -> String {
        "=_\(kind)_\(String(FNV1a.hash(seed.utf8), radix: 36))"
    }
}
