/// Why a day is closed to bookings.
public enum ClosedReason: Sendable, Hashable {
    /// A national holiday; the key names it in the i18n files.
    case holiday(key: String)
    case patronSaint(name: String)
    case closure(reason: String)
}
