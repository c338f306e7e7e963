import Foundation

/// A rejected form field. `field` is the form field's name, `code` a stable key that the i18n files
/// translate (see `FieldError.Code`, and `CodiceFiscaleError.allCodes` for the codice fiscale).
public struct FieldError: Error, Equatable, Sendable {
    /// The name of the rejected form field, so the page can show the message next to it.
    public let field: String
    /// The stable i18n key of the reason (one of `Code` or `CodiceFiscaleError.allCodes`).
    public let code: String

    /// A rejection of `field` for the reason `code`.
    public init(field: String, code: String) {
        self.field = field
        self.code = code
    }

    /// The codes the validators produce, spelled once so that the validators and the i18n checks agree.
    public enum Code {
        /// A required field was empty after normalisation.
        public static let required = "required"
        /// The field has more characters than its limit.
        public static let tooLong = "too_long"
        /// A name with a character other than letters, spaces, apostrophes, hyphens and dots, or with no letter.
        public static let nameInvalid = "name.invalid"
        /// Not an email address a mail server would accept.
        public static let emailInvalid = "email.invalid"
        /// Not a phone number that can be written as "+<digits>".
        public static let phoneInvalid = "phone.invalid"
        /// Notes with characters that have no place in text (control characters).
        public static let notesInvalid = "notes.invalid"
    }

    /// Every code a `FieldValidator` can produce, for checking the i18n files.
    public static let allCodes: [String] =
        [Code.required, Code.tooLong, Code.nameInvalid, Code.emailInvalid, Code.phoneInvalid, Code.notesInvalid]
        + CodiceFiscaleError.allCodes
}
