/// The lifecycle of a booking as the office records it.
/// A hold is not a booking: it lives in its own table and either becomes a booking or expires.
public enum BookingState: String, CaseIterable, Sendable, Codable {
    /// Confirmed; the appointment has not been given an outcome.
    case booked
    /// Requested for a service that needs the office's approval (`ApprovalSettings`): the slot is kept for the
    /// request until the office confirms it (then `booked`), refuses it or it expires (then
    /// `cancelledByOperator`).
    case pending
    /// The citizen came: the office recorded the appointment as held.
    case done
    /// The citizen did not come (a no-show, counted by `NoShowPolicy`).
    case absent
    /// Cancelled by the citizen; the desk is free again.
    case cancelledByCitizen = "cancelled_by_citizen"
    /// Cancelled by the office (an unavailability or an operator's action); the desk is free again.
    case cancelledByOperator = "cancelled_by_operator"

    /// Whether the booking still occupies its slot's capacity: the one definition of occupancy
    /// (docs/ARCHITECTURE.md §3). A booking keeps its desk once it happened or was missed; only a
    /// cancellation gives the desk back. A pending request keeps its slot while the office decides.
    public var occupiesSlot: Bool { self == .booked || self == .pending || self == .done || self == .absent }

    /// The states that occupy a slot, in declaration order: the Store turns them into its SQL condition.
    public static let occupyingStates: [BookingState] = allCases.filter(\.occupiesSlot)

    /// Whether the office may record (or correct) an outcome, done or absent: only on a booking that still
    /// occupies its slot, since a cancelled appointment never took place, and never on a request the office has not
    /// confirmed.
    public var acceptsOutcome: Bool { occupiesSlot && self != .pending }

    /// Whether the office still has to confirm or refuse this request.
    public var awaitsApproval: Bool { self == .pending }

    /// Whether a booking in this state gets the reminder before its appointment: only a confirmed one (a request
    /// the office has not answered is not an appointment yet).
    public var receivesReminder: Bool { self == .booked }

    /// Whether a booking in this state whose appointment starts at `slotStart` is still active at `now`: booked or
    /// pending, and not yet started. Only an active booking can be cancelled, counts toward the per-person limit
    /// (`BookingLimits.allowsAnotherBooking`), or is touched by a new unavailability; an active one that
    /// `receivesReminder` gets a reminder.
    public func isActive(slotStart: Int64, at now: Int64) -> Bool {
        (self == .booked || self == .pending) && slotStart > now
    }
}
