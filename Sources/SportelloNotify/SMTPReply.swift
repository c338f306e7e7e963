/// One SMTP reply (RFC 5321 §4.2): a three-digit code and its lines of text, a multiline reply's joined.
struct SMTPReply: Equatable {
    /// 2xx done, 3xx go on (354 after DATA), 4xx try again later, 5xx refused for good.
    let code: Int
    /// The text after each line's code, in order (EHLO's: the greeting, then one extension a line).
    let lines: [String]

    /// The reply as a person reads it: the code and its lines on one line, cut to 300 characters.
    var words: String { String("\(code) \(lines.joined(separator: " "))".prefix(300)) }

    var isPositive: Bool { (200..<300).contains(code) }
    var isTemporary: Bool { (400..<500).contains(code) }

    /// The code of one reply line ("250-PIPELINING", "250 OK") and whether more lines follow; nil when the line is
    /// not a reply line.
    static func parse(line: [UInt8]) -> (code: Int, more: Bool, text: String)? {
        guard line.count >= 3, line[0...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let first = line.first, (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(first)
        else { return nil }
        let code = line[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard line.count > 3 else { return (code, false, "") }
        guard line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-") else { return nil }
        return (code, line[3] == UInt8(ascii: "-"), String(decoding: line[4...], as: UTF8.self))
    }
}
