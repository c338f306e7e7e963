import Foundation

/// The content of an App IO message, within the limits the IO API enforces (subject 10–120 characters, Markdown
/// 80–10,000), fitted by construction: whatever the texts, a message is never refused for its length.
public struct IOContent: Sendable, Equatable {
    /// The title shown in the citizen's message list.
    public let subject: String
    /// The body, in Markdown.
    public let markdown: String

    /// Subject length the API accepts.
    public static let subjectLimits = 10...120
    /// Markdown length the API accepts.
    public static let markdownLimits = 80...10_000

    /// `subject` and `markdown` fitted: too short, `subjectFiller`/`markdownFiller` are appended (then spaces,
    /// a last resort no real text reaches); too long, cut at a character with "…". Lengths are counted in UTF-16
    /// code units, as the API's validation (JavaScript) counts them, and never fall below the limits in
    /// Unicode scalars either.
    public init(subject: String, markdown: String, subjectFiller: String, markdownFiller: String) {
        self.subject = Self.fit(subject, Self.subjectLimits, filler: " – " + subjectFiller)
        self.markdown = Self.fit(markdown, Self.markdownLimits, filler: "\n\n" + markdownFiller)
    }

    static func fit(_ text: String, _ limits: ClosedRange<Int>, filler: String) -> String {
        var result = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if result.unicodeScalars.count < limits.lowerBound { result += filler }
        while result.unicodeScalars.count < limits.lowerBound { result += " " }
        guard result.utf16.count > limits.upperBound else { return result }
        var cut = ""
        for character in result {
            if cut.utf16.count + character.utf16.count + 1 > limits.upperBound { break }
            cut.append(character)
        }
        return cut + "…"
    }
}
