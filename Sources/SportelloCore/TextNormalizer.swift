import Foundation

/// The one normalisation every form field gets (docs/ARCHITECTURE.md §5): NFC, then surrounding whitespace and
/// newlines trimmed. Nothing else is changed: inner spaces are not collapsed, case is kept.
public enum TextNormalizer {
    /// NFC and trimmed, so that the same text typed on different devices compares and counts the same.
    public static func normalize(_ s: String) -> String {
        // ASCII is already NFC, and its only white space is tab to carriage return and the space: most fields of
        // a booking skip Foundation's normalisation and trimming (each a bridge to NSString and back).
        let bytes = s.utf8
        if bytes.allSatisfy({ $0 < 0x80 }) {
            let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
            guard let first = bytes.firstIndex(where: { !isSpace($0) }),
                let last = bytes.lastIndex(where: { !isSpace($0) })
            else { return "" }
            if first == bytes.startIndex, last == bytes.index(before: bytes.endIndex) { return s }
            return String(s[first...last])
        }
        return s.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
