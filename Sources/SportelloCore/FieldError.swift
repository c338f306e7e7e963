import Foundation

/// A rejected form field. `field` is the form field's name, `code` a stable key that the i18n files
/// translate (see `FieldError.Code`, and `CodiceFiscaleError.allCodes` for the codice fiscale).
public struct FieldError: Error, Equatable, Sendable {
    public let field: String
    public let code: String

    public init(field: String, code: String) {
        self.field = field
        self.code = code
    }

    public enum Code {
        public static let required = "required"
        public static let tooLong = "too_long"
        public static let nameInvalid = "name.invalid"
        public static let emailInvalid = "email.invalid"
        public static let phoneInvalid = "phone.invalid"
        public static let notesInvalid = "notes.invalid"
    }

    /// Every code a `FieldValidator` can produce, for checking the i18n files.
    public static let allCodes: [String] =
        [Code.required, Code.tooLong, Code.nameInvalid, Code.emailInvalid, Code.phoneInvalid, Code.notesInvalid]
        + CodiceFiscaleError.allCodes
}
