import Foundation

/// A question a service adds to its booking form (`extraFields` in the configuration, inherited from the office):
/// a vehicle plate, a number of people, a date of birth, one choice of a list. Declared strictly and bounded
/// (`SiteConfiguration`); what a citizen sends is checked by `validate(_:)` as hostile input.
public struct ExtraField: Sendable, Equatable {
    /// What kind of answer the field takes.
    public enum Kind: String, Sendable, CaseIterable {
        /// One line of text, at most `maxLength` characters.
        case text
        /// A whole number within `minimum…maximum`.
        case number
        /// A calendar date, written `YYYY-MM-DD` (what `<input type="date">` sends).
        case date
        /// One of `choices`, exactly as written there.
        case choice
    }

    /// The codes `validate(_:)` throws besides `required` and `too_long` (i18n keys under `fieldErrors`).
    public enum Code {
        /// Text with control characters.
        public static let textInvalid = "extra.text"
        /// Not a whole number, or out of the declared range.
        public static let numberInvalid = "extra.number"
        /// Not a real calendar date.
        public static let dateInvalid = "extra.date"
        /// Not one of the choices offered.
        public static let choiceInvalid = "extra.choice"
        /// Every code above, for the i18n checks.
        public static let all = [textInvalid, numberInvalid, dateInvalid, choiceInvalid]
    }

    /// Most fields one service may declare.
    public static let maximumFields = 10
    /// The longest text a field may accept.
    public static let longestText = 500
    /// What a text field accepts when its declaration sets no `maxLength`.
    public static let defaultMaxLength = 100
    /// The widest range a number field may have (and its default).
    public static let numberBounds: ClosedRange<Int> = -1_000_000_000...1_000_000_000
    /// The years a date field accepts.
    public static let yearBounds: ClosedRange<Int> = 1900...2100

    /// `[a-z0-9-]{1,32}`: the key the answers are stored under; never change it once bookings carry it.
    public let id: String
    /// The label by language code; the site's main language always has one.
    public let labels: [String: String]
    /// The kind of answer.
    public let kind: Kind
    /// Whether an empty answer is refused.
    public let required: Bool
    /// Longest text accepted (text fields).
    public let maxLength: Int
    /// The range a number must fall in (number fields).
    public let minimum: Int
    /// See `minimum`.
    public let maximum: Int
    /// The answers offered (choice fields), shown and stored as written.
    public let choices: [String]

    /// A declaration as `SiteConfiguration` read it.
    public init(
        id: String, labels: [String: String], kind: Kind, required: Bool = false,
        maxLength: Int = defaultMaxLength, minimum: Int = numberBounds.lowerBound,
        maximum: Int = numberBounds.upperBound, choices: [String] = []
    ) {
        self.id = id
        self.labels = labels
        self.kind = kind
        self.required = required
        self.maxLength = maxLength
        self.minimum = minimum
        self.maximum = maximum
        self.choices = choices
    }

    /// The form field's name: prefixed, so that no declaration can collide with the anagrafica's fields.
    public var formName: String { "extra-\(id)" }

    /// The label in `language`, else in `fallback` (the site's main language).
    public func label(for language: String, fallback: String) -> String {
        labels[language] ?? labels[fallback] ?? id
    }

    /// Whether `id` is a valid field id: 1…32 of `a-z`, `0-9` and `-`.
    public static func isValidID(_ id: String) -> Bool {
        (1...32).contains(id.utf8.count)
            && id.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// The answer to store ("" for an optional field left empty), normalised; throws the reason otherwise.
    public func validate(_ raw: String) throws(FieldError) -> String {
        let value = TextNormalizer.normalize(raw)
        if value.isEmpty {
            if required { throw FieldError(field: formName, code: FieldError.Code.required) }
            return ""
        }
        switch kind {
        case .text:
            if value.prefix(maxLength + 1).count > maxLength {
                throw FieldError(field: formName, code: FieldError.Code.tooLong)
            }
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw FieldError(field: formName, code: Code.textInvalid)
            }
            return value
        case .number:
            // At most ten digits and a sign: nothing Int cannot hold, however long the input.
            let digits = value.hasPrefix("-") || value.hasPrefix("+") ? value.dropFirst() : Substring(value)
            guard (1...10).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let number = Int(value.hasPrefix("+") ? String(digits) : value), (minimum...maximum).contains(number)
            else { throw FieldError(field: formName, code: Code.numberInvalid) }
            return String(number)
        case .date:
            guard value.utf8.count == 10, let date = CivilDate(iso: value), Self.yearBounds.contains(date.year)
            else { throw FieldError(field: formName, code: Code.dateInvalid) }
            return date.description
        case .choice:
            guard choices.contains(value) else { throw FieldError(field: formName, code: Code.choiceInvalid) }
            return value
        }
    }
}
