import Foundation
import SportelloCore
import Synchronization

/// The texts of one language, from `site-templates/i18n/<lang>.json` (nested objects of strings).
/// Templates read them as `{{t.section.key}}`; Swift code uses `text(_:)` and `format(_:_:)`.
public struct Translations: Sendable {
    /// The language code ("it", "en") these texts are in.
    public let language: String
    private let texts: [String: String]
    /// The texts as the nested object templates read under `t`.
    public let templateValue: TemplateValue
    /// Every week page of every service names the same few dozen days: each label is formatted once.
    private let dateLabels = DateLabelMemo()

    /// Texts of `language` from the JSON of its i18n file; text that is not JSON is an error.
    public init(language: String, json: Data) throws {
        self.language = language
        let root = try JSONValue.parse(json)
        var texts: [String: String] = [:]
        func flatten(_ value: JSONValue, prefix: String) -> TemplateValue {
            switch value {
            case .object(let fields):
                var object: TemplateFields = [:]
                for (key, child) in fields {
                    object[key] = flatten(child, prefix: prefix.isEmpty ? key : "\(prefix).\(key)")
                }
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

    /// Reads `<directory>/<language>.json`.
    public static func load(directory: String, language: String) throws -> Translations {
        let url = URL(fileURLWithPath: directory).appendingPathComponent("\(language).json")
        return try Translations(language: language, json: Data(contentsOf: url))
    }

    /// The text for a dotted key; the key itself when missing, so a gap is visible rather than blank.
    public func text(_ key: String) -> String { texts[key] ?? key }

    /// Whether the dotted `key` ("errors.slot_taken") has a text, for the i18n completeness checks.
    public func has(_ key: String) -> Bool { texts[key] != nil }

    /// Every dotted key of the file that names a text.
    public var keys: Set<String> { Set(texts.keys) }

    /// The text with `{name}` placeholders replaced, in one pass over the UTF-8 of the text (this runs for
    /// every day of every week page). Unknown placeholders stay as written.
    public func format(_ key: String, _ arguments: KeyValuePairs<String, String>) -> String {
        let template = text(key)
        let utf8 = template.utf8
        var result = ""
        result.reserveCapacity(utf8.count + 16)
        var copied = utf8.startIndex
        var cursor = utf8.startIndex
        while let open = utf8[cursor...].firstIndex(of: UInt8(ascii: "{")),
            let close = utf8[open...].firstIndex(of: UInt8(ascii: "}"))
        {
            // Braces are ASCII, so these UTF-8 positions are character boundaries.
            let name = template[utf8.index(after: open)..<close]
            // A handful of arguments: a linear search, no dictionary to build or hash.
            if let value = arguments.first(where: { $0.key == name })?.value {
                result += template[copied..<open]
                result += value
                copied = utf8.index(after: close)
            }
            cursor = utf8.index(after: close)
        }
        result += template[copied...]
        return result
    }

    /// `format(_:_:)` of the text that agrees with `count`: the singular `<key>One` when `count` is 1 and the
    /// file has it, `key` otherwise ("1 minuto", "5 minuti"; in both languages 0 takes the plural).
    public func format(_ key: String, count: Int, _ arguments: KeyValuePairs<String, String>) -> String {
        let singular = key + "One"
        return format(count == 1 && has(singular) ? singular : key, arguments)
    }

    /// "martedì 3 marzo 2026"
    public func longDate(_ date: CivilDate) -> String { dateLabels.labels(date, self).long }

    /// "mar 3/3"
    public func shortDate(_ date: CivilDate) -> String { dateLabels.labels(date, self).short }

    /// The long and short labels of `days` days from `first` on, taking the memo's lock twice at most: the two
    /// workers of a build ask for a week of labels per service and language, and a lock per label had them
    /// contend for it (about 5% of a cold build's CPU spun in the lock's slow path).
    func dateLabels(from first: CivilDate, days: Int) -> [(long: String, short: String)] {
        dateLabels.labels(from: first, days: days, self).map { ($0.long, $0.short) }
    }

    fileprivate func formatLabels(_ date: CivilDate) -> DateLabelMemo.Labels {
        let long = format(
            "date.long",
            [
                "weekday": text("weekday.\(date.weekday.rawValue)"), "day": String(date.day),
                "month": text("month.\(date.month)"), "year": String(date.year),
            ])
        let short = format(
            "date.short",
            [
                "weekday": text("weekdayShort.\(date.weekday.rawValue)"), "day": String(date.day),
                "month": String(date.month),
            ])
        return DateLabelMemo.Labels(long: long, short: short)
    }
}

/// Date labels already formatted, shared by the threads that render pages.
private final class DateLabelMemo: Sendable {
    struct Labels: Sendable {
        let long: String
        let short: String
    }

    private let labels = Mutex<[Int: Labels]>([:])

    func labels(_ date: CivilDate, _ translations: Translations) -> Labels {
        let day = date.dayNumber
        if let known = labels.withLock({ $0[day] }) { return known }
        let made = translations.formatLabels(date)
        labels.withLock { $0[day] = made }
        return made
    }

    /// The labels of `days` days from `first` on: one lock to read the known ones, the rest formatted outside
    /// the lock and stored under a second one.
    func labels(from first: CivilDate, days: Int, _ translations: Translations) -> [Labels] {
        let firstDay = first.dayNumber
        let count = max(0, days)
        var found = labels.withLock { known in (0..<count).map { known[firstDay + $0] } }
        var made: [(Int, Labels)] = []
        for offset in 0..<count where found[offset] == nil {
            let labels = translations.formatLabels(first.adding(days: offset))
            found[offset] = labels
            made.append((firstDay + offset, labels))
        }
        if !made.isEmpty {
            labels.withLock { known in
                for (day, labels) in made { known[day] = labels }
            }
        }
        return found.compactMap { $0 }
    }
}
