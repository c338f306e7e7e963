import SportelloCore
import SportelloHTTP
import SportelloStore

/// The anagrafica form, read and checked the same way by the booking form and the registration.
extension EndpointController {
    static var personFields: [String] { ["nome", "cognome", "codice_fiscale", "email", "cellulare", "note"] }

    /// What the form sent, plus the beneficiary's codice fiscale when booking for someone else.
    func formValues(_ fields: FormFields) -> [String: String] {
        var values: [String: String] = [:]
        for name in Self.personFields + ["beneficiary"] { values[name] = fields[name] ?? "" }
        // A service's extra fields (`ExtraField.formName`); only the service's own are ever read from these.
        for (name, value) in fields.pairs where name.hasPrefix("extra-") && values[name] == nil {
            guard values.count < Self.personFields.count + 1 + ExtraField.maximumFields else { break }
            values[name] = value
        }
        return values
    }

    /// Validates an anagrafica; on failure returns the error code per field.
    func validatePerson(_ values: [String: String], notesRequired: Bool) -> (PersonDetails?, [String: String]) {
        var errors: [String: String] = [:]
        func check<T>(_ name: String, _ body: (String) throws(FieldError) -> T) -> T? {
            do { return try body(values[name] ?? "") } catch {
                errors[name] = error.code
                return nil
            }
        }
        let givenName = check("nome") { text throws(FieldError) in try FieldValidator.personName(text, field: "nome") }
        let familyName = check("cognome") { text throws(FieldError) in
            try FieldValidator.personName(text, field: "cognome")
        }
        let codiceFiscale = check("codice_fiscale") { text throws(FieldError) in try FieldValidator.codiceFiscale(text)
        }
        let email = check("email") { text throws(FieldError) in try FieldValidator.email(text) }
        let phone = check("cellulare") { text throws(FieldError) in try FieldValidator.phone(text) }
        let notes = check("note") { text throws(FieldError) in try FieldValidator.notes(text, required: notesRequired) }
        guard errors.isEmpty, let givenName, let familyName, let codiceFiscale, let email, let phone else {
            return (nil, errors)
        }
        return (
            PersonDetails(
                givenName: givenName, familyName: familyName, codiceFiscale: codiceFiscale.value, email: email,
                phone: phone,
                notes: (notes ?? "").isEmpty ? nil : notes), [:]
        )
    }
}
