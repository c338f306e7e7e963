/// Why a day is closed to bookings.
public enum ClosedReason: Sendable, Hashable {
    /// A national holiday; the key names it in the i18n files.
    case holiday(key: String)
    /// The comune's patron saint's day, with the saint's name.
    case patronSaint(name: String)
    /// A closure the comune configured, with the reason it gave.
    case closure(reason: String)
}
