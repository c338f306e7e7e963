import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// Every text the templates and the code ask for exists in Italian and in English: a missing one shows as its
/// key (`text(_:)`) or fails the strict render (`{{t.…}}`), in front of a citizen.
@Suite struct TranslationKeysTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let i18n = root.appendingPathComponent("site-templates/i18n").path
    let languages: [Translations]

    init() throws {
        languages = try ["it", "en"].map { try Translations.load(directory: Self.i18n, language: $0) }
    }

    /// The files under `folder` (relative to the repository) whose names end in one of `suffixes`.
    func files(under folder: String, endingIn suffixes: [String]) throws -> [(name: String, text: String)] {
        let base = Self.root.appendingPathComponent(folder).path
        return try FileManager.default.subpathsOfDirectory(atPath: base)
            .filter { name in suffixes.contains { name.hasSuffix($0) } }.sorted()
            .map { ("\(folder)/\($0)", try String(contentsOfFile: "\(base)/\($0)", encoding: .utf8)) }
    }

    func matches(_ pattern: String, in text: String) throws -> [String] {
        let expression = try NSRegularExpression(pattern: pattern)
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test func bothLanguagesHaveTheSameKeys() {
        let (italian, english) = (languages[0].keys, languages[1].keys)
        #expect(italian.count > 400)
        #expect(italian.subtracting(english).sorted() == [], "only in it.json")
        #expect(english.subtracting(italian).sorted() == [], "only in en.json")
    }

    @Test func everyKeyATemplateReadsExists() throws {
        var checked = 0
        for file in try files(under: "site-templates", endingIn: [".html", ".txt"]) {
            // {{t.a.b}}, {{{t.a.b}}}, {{& t.a.b}}, {{#t.a}}, {{^t.a}}: a section may open an object of texts.
            for key in try matches(#"\{\{\{?[#^&]?\s*t\.([A-Za-z0-9_.-]+)"#, in: file.text) {
                checked += 1
                for texts in languages {
                    #expect(
                        texts.has(key) || texts.keys.contains { $0.hasPrefix(key + ".") },
                        "\(file.name): t.\(key) is not in \(texts.language).json")
                }
            }
        }
        #expect(checked > 200)
    }

    @Test func everyKeyTheCodeNamesExists() throws {
        var checked = 0
        for file in try files(under: "Sources", endingIn: [".swift"]) {
            let literalKey = #"\.(?:text|format|has)\("([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)+)""#
            for key in try matches(literalKey, in: file.text) {
                checked += 1
                for texts in languages {
                    #expect(texts.has(key), "\(file.name): \"\(key)\" is not in \(texts.language).json")
                }
            }
        }
        #expect(checked > 50)
    }

    /// The keys the code builds from a vocabulary: each case of it has its text in both languages.
    @Test func everyErrorCodeKindAndStateHasItsTexts() {
        var keys: [String] = []
        for code in ErrorCode.allCases { keys += ["title", "message", "next"].map { "errors.\(code.rawValue).\($0)" } }
        for kind in NotificationKind.allCases {
            keys += ["mail.\(kind.rawValue).subject", "sms.\(kind.rawValue)"]
            if kind.isAboutPerson { keys.append("mail.\(kind.rawValue).intro") }
        }
        keys += BookingState.allCases.map { "operator.stateNames.\($0.rawValue)" }
        keys += CellState.allCases.flatMap { ["state.\($0.rawValue)", "legend.\($0.rawValue)"] }
        for texts in languages {
            for key in keys { #expect(texts.has(key), "\"\(key)\" is not in \(texts.language).json") }
        }
    }
}
