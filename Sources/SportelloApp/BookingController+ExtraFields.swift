import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// A service's extra form fields (`ExtraField`) on the booking steps: shown on the form after the anagrafica,
/// checked as hostile input, listed on the summary and sent on with it.
extension BookingController {
    /// The answers to store by field id (empty ones left out); each wrong one adds its code to `errors` under the
    /// field's form name.
    func validateExtraFields(
        _ values: [String: String], service: Service, errors: inout [String: String]
    ) -> [String: String] {
        var answers: [String: String] = [:]
        for field in service.extraFields {
            do throws(FieldError) {
                let answer = try field.validate(values[field.formName] ?? "")
                if !answer.isEmpty { answers[field.id] = answer }
            } catch {
                errors[field.formName] = error.code
            }
        }
        return answers
    }

    /// The label of `field` in the visitor's language.
    func extraLabel(_ field: ExtraField, _ context: RequestContext) -> String {
        field.label(for: context.language, fallback: configuration.comune.language)
    }

    /// The form's controls for the service's extra fields, as `hold.html` lists them.
    func extraFieldValues(
        service: Service, values: [String: String], errors: [String: String], context: RequestContext
    ) -> [TemplateValue] {
        let t = site.renderer.texts(context.language)
        return service.extraFields.map { field in
            let value = values[field.formName] ?? ""
            return .object([
                "name": .string(field.formName), "label": .string(extraLabel(field, context)),
                "hint": "", "value": .string(value),
                "error": .string(errors[field.formName].map { FieldErrorSummary.message($0, t) } ?? ""),
                "required": .bool(field.required), "textarea": false, "readonly": false,
                "type": .string(field.kind == .number ? "number" : field.kind == .date ? "date" : "text"),
                "autocomplete": "off",
                "maxLength": .string(field.kind == .text ? String(field.maxLength) : ""),
                "select": field.kind == .choice
                    ? .object([
                        "options": .list(
                            field.choices.map { .object(["value": .string($0), "selected": .bool($0 == value)]) })
                    ]) : "",
            ])
        }
    }
}
