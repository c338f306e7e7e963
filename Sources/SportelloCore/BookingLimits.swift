/// The per-person and per-client limits as decisions over counts the Store reads in the transaction that
/// acts on them (docs/ARCHITECTURE.md §3): pure, so every edge is tested in Core.
public enum BookingLimits {
    /// Whether a person with `activeBookings` future bookings of a service may make another one, given the
    /// per-person limit (`booking.maxActiveBookingsPerPerson`; nil = no limit).
    public static func allowsAnotherBooking(activeBookings: Int, limit: Int?) -> Bool {
        guard let limit else { return true }
        return activeBookings < limit
    }

    /// Whether a client with `liveHolds` live holds may place another, given the per-client cap (0 = no cap).
    public static func allowsAnotherHold(liveHolds: Int, limit: Int) -> Bool {
        limit <= 0 || liveHolds < limit
    }

    /// Whether a daily cap counts at all: a limit of 0 means no cap, and an empty key (no address, no
    /// contact) has nothing to count.
    public static func dailyCapApplies(key: String, limit: Int) -> Bool { limit > 0 && !key.isEmpty }

    /// Whether a daily cap already used `used` times today is spent.
    public static func dailyCapSpent(used: Int, limit: Int) -> Bool { limit > 0 && used >= limit }

    /// The Italian civil day of `now` (as `CivilDate.dayNumber`) and the instant the next one begins, when
    /// daily caps open again: local midnight, so a day lasts 23 or 25 hours on the DST days.
    public static func civilDay(of now: Int64) -> (day: Int64, ends: Int64) {
        let today = RomeTime.local(now).date
        let tomorrow = today.adding(days: 1)
        // Midnight always exists in Italy (clocks change at 02:00/03:00); the fallback only keeps this total.
        return (Int64(today.dayNumber), RomeTime.instant(date: tomorrow, minutes: 0) ?? now + 86_400)
    }
}
