/// The one HTML escaper: templates call it for every `{{value}}`; nothing else in the project escapes HTML.
public enum HTMLEscaper {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, safe in element content and quoted attributes.
    public static func escape(_ text: String) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(text.utf8.count)
        append(text, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends the escaped UTF-8 bytes of `text`, copying runs between special characters in one go.
    public static func append(_ text: String, to buffer: inout [UInt8]) {
        // Native strings (all of them on Linux) are read in place; only another kind is copied first.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append($0, to: &buffer) }
        if done == nil {
            var text = text
            text.withUTF8 { append($0, to: &buffer) }
        }
    }

    /// Appends the UTF-8 bytes of `text` as they are, for the one raw form a template asks for (`{{{name}}}`).
    static func appendRaw(_ text: String, to buffer: inout [UInt8]) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { buffer.append(contentsOf: $0) }
        if done == nil { buffer.append(contentsOf: text.utf8) }
    }

    /// Appends the escaped form of UTF-8 bytes.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            // The five are ASCII up to ">": letters and every byte of a multi-byte character pass one comparison.
            if byte > UInt8(ascii: ">") { continue }
            let replacement: StaticString
            switch byte {
            case UInt8(ascii: "&"): replacement = "&amp;"
            case UInt8(ascii: "<"): replacement = "&lt;"
            case UInt8(ascii: ">"): replacement = "&gt;"
            case UInt8(ascii: "\""): replacement = "&quot;"
            case UInt8(ascii: "'"): replacement = "&#39;"
            default: continue
            }
            if runStart < index { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            replacement.withUTF8Buffer { buffer.append(contentsOf: $0) }
            runStart = index + 1
        }
        if runStart < bytes.count { buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }
}
