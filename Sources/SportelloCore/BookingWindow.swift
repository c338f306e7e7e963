import Foundation

/// How far ahead a service can be booked.
public struct BookingWindow: Sendable, Hashable {
    /// Slots closer than this to now can no longer be booked.
    public var minimumNoticeMinutes: Int = 60
    /// The last bookable day is today + this; a new day opens at local midnight.
    public var maxDaysAhead: Int = 30
}
