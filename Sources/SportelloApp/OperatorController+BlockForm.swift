import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite

/// The agenda's "add unavailability" form refused the way every form is (docs/ARCHITECTURE.md §5): the agenda
/// again with what was typed kept and each wrong field named in the summary, linking to it. Before, a time left
/// empty was a bare "invalid range" page, and desks typed wrong silently blocked every desk.
extension OperatorController {
    /// The block form's fields, in page order: form name, control id, label key.
    static let blockFormFields: [(name: String, id: String, labelKey: String)] = [
        ("service", "block-service", "operator.service"), ("from", "block-from", "operator.from"),
        ("to", "block-to", "operator.to"), ("desks", "block-desks", "operator.desks"),
        ("desk", "block-desk", "blockForm.deskLabel"), ("reason", "block-reason", "operator.reason"),
    ]

    /// The most desks the form accepts (as its `max`); the store clamps to the service's own count.
    static let blockFormMaxDesks = 50

    /// What a browser's block form got wrong, field name → message; empty when the block may be tried (a service
    /// outside the operator's scope is still refused as forbidden). Scripts (JSON) keep the store's own answers.
    func blockFormMessages(_ fields: FormFields, _ t: Translations) -> [String: String] {
        var messages: [String: String] = [:]
        let service = fields["service"] ?? ""
        if service.isEmpty || site.catalogue.service(id: service) == nil {
            messages["service"] = t.text("blockForm.service")
        }
        let from = fields["from"].flatMap { LocalTime(parsing: Substring($0)) }
        let to = fields["to"].flatMap { LocalTime(parsing: Substring($0)) }
        if from == nil { messages["from"] = t.text("blockForm.time") }
        if to == nil {
            messages["to"] = t.text("blockForm.time")
        } else if let from, let to, !(from < to) {
            messages["to"] = t.text("blockForm.order")
        }
        let desks = (fields["desks"] ?? "").trimmingCharacters(in: .whitespaces)
        if !desks.isEmpty, Int(desks).map({ !(1...Self.blockFormMaxDesks).contains($0) }) ?? true {
            messages["desks"] = t.format("blockForm.desks", ["max": String(Self.blockFormMaxDesks)])
        }
        let desk = fields["desk"] ?? ""
        if !desk.isEmpty, !(site.catalogue.service(id: service)?.desks.contains { $0.key == desk } ?? false) {
            messages["desk"] = t.text("blockForm.desk")
        }
        if (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).count > 200 {
            messages["reason"] = FieldErrorSummary.message("too_long", t)
        }
        return messages
    }

    /// The block form as `operator-agenda.html` reads it under `blockForm`: its services (the typed one selected),
    /// the typed values, the message per field and the summary; empty values for a fresh form.
    func blockFormValue(
        services: [(id: String, name: String)], typed: FormFields?, messages: [String: String], _ t: Translations
    ) -> TemplateValue {
        // Every desk of the listed desk services, once, named with its office when several offices have desks.
        var desks: [DeskID] = []
        for service in services.compactMap({ site.catalogue.service(id: $0.id) }) {
            for desk in service.desks where !desks.contains(desk) { desks.append(desk) }
        }
        let offices = Set(desks.map(\.office))
        let deskOptions: [TemplateValue] = desks.map { desk in
            let office = site.catalogue.entry(id: desk.office)?.text(for: t.language).name ?? desk.office
            return .object([
                "key": .string(desk.key), "name": .string(offices.count > 1 ? "\(office) – \(desk.name)" : desk.name),
                "selected": .bool(typed?["desk"] == desk.key),
            ])
        }
        let summary = FieldErrorSummary(
            fields: Self.blockFormFields.map {
                FieldErrorSummary.Field(name: $0.name, id: $0.id, label: t.text($0.labelKey))
            })
        var value: [String: TemplateValue] = [
            "services": .list(
                services.map {
                    .object([
                        "id": .string($0.id), "name": .string($0.name), "selected": .bool(typed?["service"] == $0.id),
                    ])
                }),
            "cancelChecked": .bool(typed?["cancel_bookings"] != nil),
            "deskOptions": .list(deskOptions), "hasDesks": .bool(!desks.isEmpty),
            "errorSummary": summary.value(messages: messages, t),
        ]
        for field in Self.blockFormFields {
            let kept = field.name == "reason" ? 500 : field.name == "desk" ? 200 : 40
            value[field.name] = .string(String((typed?[field.name] ?? "").prefix(kept)))
            value[field.name + "Error"] = .string(messages[field.name] ?? "")
        }
        return .object(TemplateFields(value.map { ($0.key, $0.value) }))
    }
}
