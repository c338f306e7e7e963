import Foundation

/// The one normalisation every form field gets (docs/ARCHITECTURE.md §5): NFC, then surrounding whitespace and
/// newlines trimmed. Nothing else is changed: inner spaces are not collapsed, case is kept.
public enum TextNormalizer {
    /// NFC and trimmed, so that the same text typed on different devices compares and counts the same.
    public static func normalize(_ s: String) -> String {
        s.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
