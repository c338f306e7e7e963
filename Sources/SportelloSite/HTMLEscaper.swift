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
        withUTF8(of: text) { append($0, to: &buffer) }
    }

    /// Appends the UTF-8 bytes of `text` as they are, for the one raw form a template asks for (`{{{name}}}`).
    static func appendRaw(_ text: String, to buffer: inout [UInt8]) {
        withUTF8(of: text) { buffer.append(contentsOf: $0) }
    }

    /// Hands `body` the UTF-8 bytes of `text`: native strings (all of them on Linux) read in place, only another
    /// kind copied first.
    @inline(__always)
    private static func withUTF8(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable(body)
        if done == nil {
            var text = text
            text.withUTF8(body)
        }
    }

    /// Appends the escaped form of UTF-8 bytes.
    public static func append(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        escape(bytes) { buffer.append(contentsOf: $0) }
    }

    /// Appends the escaped UTF-8 bytes of `text` to a render's output.
    static func append(_ text: String, to output: inout RenderOutput) {
        withUTF8(of: text) { append($0, to: &output) }
    }

    /// Appends the UTF-8 bytes of `text` as they are to a render's output, for `{{{name}}}`.
    static func appendRaw(_ text: String, to output: inout RenderOutput) {
        withUTF8(of: text) { output.append($0) }
    }

    /// Appends the escaped form of UTF-8 bytes to a render's output.
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout RenderOutput) {
        escape(bytes) { output.append($0) }
    }

    /// Hands `write` the escaped form of `bytes` in runs: the runs between special characters as they are, each
    /// special character's entity on its own. The one escaping rule, whatever the bytes are written to.
    @inline(__always)
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, _ write: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var runStart = 0
        var index = 0
        while index < count {
            // Eight bytes at a time while none of them is one of the five: a page escapes some sixty bytes per
            // cell of its week, digits and spaces among them, which a test byte by byte let through one by one.
            if index + 8 <= count, !mayHoldSpecial(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = base[index]
            index += 1
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
            if runStart < index - 1 { write(UnsafeBufferPointer(rebasing: bytes[runStart..<(index - 1)])) }
            replacement.withUTF8Buffer { write($0) }
            runStart = index
        }
        if runStart < count { write(UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// Whether one of the eight bytes of `word` may be `&`, `<`, `>`, `"` or `'`: never false when one is (a
    /// byte equal to c makes `word ^ c…c` hold a zero byte, which the classic test for one always finds).
    @inline(__always)
    static func mayHoldSpecial(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ character: UInt8) -> UInt64 {
            let difference = word ^ (UInt64(character) &* ones)
            return (difference &- ones) & ~difference & highs
        }
        return zeroByte(UInt8(ascii: "&")) | zeroByte(UInt8(ascii: "<")) | zeroByte(UInt8(ascii: ">"))
            | zeroByte(UInt8(ascii: "\"")) | zeroByte(UInt8(ascii: "'")) != 0
    }
}
