/// `"approval"` on a service or office (inherited): the office confirms or refuses each request before it becomes
/// a booking (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
public struct ApprovalSettings: Sendable, Equatable {
    /// Whether a confirmed request waits for the office (`BookingState.pending`) instead of being booked at once.
    public var required: Bool
    /// How many hours before the appointment an unanswered request expires, freeing its slot.
    public var expiresHoursBefore: Int

    /// The longest `expiresHoursBefore` accepted: two weeks.
    public static let longestExpiryHours = 14 * 24

    /// Settings as configured; `expiresHoursBefore` defaults to a day.
    public init(required: Bool, expiresHoursBefore: Int = 24) {
        self.required = required
        self.expiresHoursBefore = expiresHoursBefore
    }

    /// The instant an unanswered request for an appointment starting at `slotStart` expires (Unix seconds).
    public func expiresAt(slotStart: Int64) -> Int64 { slotStart - Int64(expiresHoursBefore) * 3_600 }

    /// Whether a request still pending at `now` for an appointment starting at `slotStart` has expired: at its
    /// expiry second it is gone, like a hold (`HoldLiveness`).
    public func hasExpired(slotStart: Int64, at now: Int64) -> Bool { now >= expiresAt(slotStart: slotStart) }
}
