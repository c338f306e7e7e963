import Foundation

/// The one place that turns a form's rejected fields into what `partials/error-summary.html` shows: one line per
/// wrong field, in the form's order, saying which field ("Codice fiscale: il carattere di controllo non
/// corrisponde…") and linking to it, so that four "Questo campo è obbligatorio." never stand side by side unnamed
/// (docs/ARCHITECTURE.md §5).
public struct FieldErrorSummary: Sendable {
    /// A field of the form as the summary names it.
    public struct Field: Sendable {
        /// The form field's name, the key of the error (`codice_fiscale`).
        public let name: String
        /// The id of the control the line links to (`field-codice_fiscale`).
        public let id: String
        /// The field's label, already in the page's language.
        public let label: String

        /// A field named `name`, whose control has the id `id` and the label `label`.
        public init(name: String, id: String, label: String) {
            self.name = name
            self.id = id
            self.label = label
        }
    }

    /// The form's fields, in the order they appear on the page.
    public let fields: [Field]

    /// A summary over `fields`, in page order.
    public init(fields: [Field]) { self.fields = fields }

    /// The message shown next to a field rejected with `code` (an i18n key under `fieldErrors`).
    public static func message(_ code: String, _ t: Translations) -> String { t.text("fieldErrors.\(code)") }

    /// The summary for `errors` (field name → error code), as the partial reads it under `errorSummary`: `lines`
    /// of `fieldID` and `text`; an empty string (nothing shown) when no field is wrong.
    public func value(errors: [String: String], _ t: Translations) -> TemplateValue {
        value(messages: errors.mapValues { Self.message($0, t) }, t)
    }

    /// The summary for messages already worded (field name → message, e.g. a wrong code with the attempts
    /// left). Messages on fields the form does not list are named by the field's name, never dropped.
    public func value(messages: [String: String], _ t: Translations) -> TemplateValue {
        guard !messages.isEmpty else { return "" }
        var lines: [TemplateValue] = []
        var named: Set<String> = []
        for field in fields {
            guard let message = messages[field.name] else { continue }
            named.insert(field.name)
            lines.append(line(fieldID: field.id, label: field.label, message: message, t))
        }
        for (name, message) in messages.sorted(by: { $0.key < $1.key }) where !named.contains(name) {
            lines.append(line(fieldID: "field-\(name)", label: name, message: message, t))
        }
        return .object(["lines": .list(lines)])
    }

    private func line(fieldID: String, label: String, message: String, _ t: Translations) -> TemplateValue {
        .object([
            "fieldID": .string(fieldID),
            "text": .string(t.format("fieldSummary.line", ["label": label, "message": message])),
        ])
    }
}
