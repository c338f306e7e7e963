import Foundation

/// Splits a request target into a decoded path and raw query. Accepts origin-form (`/p?q`),
/// absolute-form (`http://host/p?q`) and `*`. Nil when malformed, badly percent-encoded or not UTF-8.
enum RequestTarget {
    static func parse(_ target: [UInt8]) -> (path: String, query: String?)? {
        guard let first = target.first, !target.contains(UInt8(ascii: "#")) else { return nil }
        var pathStart = 0
        if first == UInt8(ascii: "/") {
            pathStart = 0
        } else if target == [UInt8(ascii: "*")] {
            return ("*", nil)
        } else {
            let lower = target.prefix(8).map(asciiLower)
            let scheme: Int
            if lower.starts(with: Array("http://".utf8)) {
                scheme = 7
            } else if lower.starts(with: Array("https://".utf8)) {
                scheme = 8
            } else {
                return nil
            }
            let rest = target[scheme...]
            guard let slash = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                return ("/", nil)
            }
            if target[slash] == UInt8(ascii: "?") {
                return ("/", String(decoding: target[(slash + 1)...], as: UTF8.self))
            }
            pathStart = slash
        }
        let question = target[pathStart...].firstIndex(of: UInt8(ascii: "?"))
        let rawPath = target[pathStart..<(question ?? target.count)]
        let query = question.map { String(decoding: target[($0 + 1)...], as: UTF8.self) }
        guard let decoded = percentDecode(rawPath, plusAsSpace: false),
            let path = String(validating: decoded, as: UTF8.self)
        else { return nil }
        return (path, query)
    }
}
