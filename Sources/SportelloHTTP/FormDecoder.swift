import Foundation

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` must be valid, the result must be
/// UTF-8; names and values are trimmed and NFC-normalised (docs/ARCHITECTURE.md §5).
public enum FormDecoder {
    /// Most fields a form may carry; one more is `FormError.tooManyFields`.
    public static let maxFields = 200

    /// The fields of an `application/x-www-form-urlencoded` body.
    public static func decode(_ body: [UInt8]) throws(FormError) -> FormFields {
        var pairs: [(String, String)] = []
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard pairs.count < maxFields else { throw .tooManyFields }
            let name: String
            let value: String
            if let equals = part.firstIndex(of: UInt8(ascii: "=")) {
                name = try component(part[part.startIndex..<equals])
                value = try component(part[(equals + 1)...])
            } else {
                name = try component(part)
                value = ""
            }
            pairs.append((name, value))
        }
        return FormFields(pairs)
    }

    /// The fields of a query string (without the `?`), decoded like a form body.
    public static func decode(query: String) throws(FormError) -> FormFields {
        try decode(Array(query.utf8))
    }

    private static func component(_ bytes: ArraySlice<UInt8>) throws(FormError) -> String {
        guard let decoded = percentDecode(bytes, plusAsSpace: true) else { throw .invalidPercentEncoding }
        // ASCII is already NFC and its only white space is tab to carriage return and the space: most fields
        // of a booking skip Foundation's trimming and normalisation, the costliest step of decoding a form.
        if decoded.allSatisfy({ $0 < 0x80 }) {
            let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
            guard let first = decoded.firstIndex(where: { !isSpace($0) }),
                let last = decoded.lastIndex(where: { !isSpace($0) })
            else { return "" }
            return String(decoding: decoded[first...last], as: UTF8.self)
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { throw .invalidUTF8 }
        return text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
    }
}

/// Parses a `Cookie` header into name → value (first occurrence wins; surrounding quotes removed).
public func parseCookies(_ header: String?) -> [String: String] {
    guard let header else { return [:] }
    var cookies: [String: String] = [:]
    for part in header.split(separator: ";") {
        guard let equals = part.firstIndex(of: "=") else { continue }
        let name = part[part.startIndex..<equals].trimmingCharacters(in: .whitespaces)
        var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast())
        }
        if !name.isEmpty, cookies[name] == nil { cookies[name] = value }
    }
    return cookies
}
