import Foundation
import SportelloCore

/// The texts of one language, from `site-templates/i18n/<lang>.json` (nested objects of strings).
/// Templates read them as `{{t.section.key}}`; Swift code uses `text(_:)` and `format(_:_:)`.
public struct Translations: Sendable {
    public let language: String
    private let texts: [String: String]
    public let templateValue: TemplateValue

    public init(language: String, json: Data) throws {
        self.language = language
        let root = try JSONValue.parse(json)
        var texts: [String: String] = [:]
        func flatten(_ value: JSONValue, prefix: String) -> TemplateValue {
            switch value {
            case .object(let fields):
                var object: [String: TemplateValue] = [:]
                for (key, child) in fields { object[key] = flatten(child, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") }
                return .object(object)
            case .string(let text):
                texts[prefix] = text
                return .string(text)
            case .array(let items):
                return .list(items.map { flatten($0, prefix: prefix) })
            case .number(let number):
                texts[prefix] = String(number)
                return .string(String(number))
            case .bool(let flag):
                return .bool(flag)
            case .null:
                return .string("")
            }
        }
        templateValue = flatten(root, prefix: "")
        self.texts = texts
    }

    public static func load(directory: String, language: String) throws -> Translations {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("\(language).json")
        return try Translations(language: language, json: Data(contentsOf: url))
    }

    /// The text for a dotted key; the key itself when missing, so a gap is visible rather than blank.
    public func text(_ key: String) -> String { texts[key] ?? key }

    public func has(_ key: String) -> Bool { texts[key] != nil }

    /// The text with `{name}` placeholders replaced, in one pass over the text (this runs for every cell of
    /// every week page, so it avoids Foundation's string searching). Unknown placeholders stay as written.
    public func format(_ key: String, _ arguments: [String: String]) -> String {
        let template = text(key)
        var result = ""
        result.reserveCapacity(template.utf8.count + 16)
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = String(rest[rest.index(after: open)..<close])
            if let value = arguments[name] { result += value } else { result += rest[open...close] }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    /// "martedì 3 marzo 2026" / "Tuesday 3 March 2026"
    public func longDate(_ date: CivilDate) -> String {
        format("date.long", ["weekday": text("weekday.\(date.weekday.rawValue)"), "day": String(date.day),
                             "month": text("month.\(date.month)"), "year": String(date.year)])
    }

    /// "mar 3/3"
    public func shortDate(_ date: CivilDate) -> String {
        format("date.short", ["weekday": text("weekdayShort.\(date.weekday.rawValue)"), "day": String(date.day), "month": String(date.month)])
    }
}
