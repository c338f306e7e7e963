import Foundation

/// Why a codice fiscale was rejected. `code` is a stable key for the i18n files.
public enum CodiceFiscaleError: Error, Equatable, Sendable {
    /// Nothing but whitespace.
    case empty
    /// Not 16 characters after trimming (the count is in user-perceived characters).
    case wrongLength(Int)
    /// The character at this 1-based position is not allowed there (a letter where a digit belongs,
    /// a non-ASCII character, a symbol, …). The first such position is reported.
    case invalidCharacter(position: Int)
    /// The 9th character is not one of A B C D E H L M P R S T.
    case invalidMonth
    /// The day is not 1…31 or 41…71, or does not exist in the month (31 April, 30 February).
    case invalidDay
    /// The 16th character does not match the check character computed from the first 15.
    case wrongCheckCharacter

    /// The stable i18n key of this error ("cf.length", …), what the form shows next to the field.
    public var code: String {
        switch self {
        case .empty: return "cf.empty"
        case .wrongLength: return "cf.length"
        case .invalidCharacter: return "cf.character"
        case .invalidMonth: return "cf.month"
        case .invalidDay: return "cf.day"
        case .wrongCheckCharacter: return "cf.check"
        }
    }

    /// Every code `code` can return, for checking that the i18n files translate them all.
    public static let allCodes: [String] = ["cf.empty", "cf.length", "cf.character", "cf.month", "cf.day", "cf.check"]
}
