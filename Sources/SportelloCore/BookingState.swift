/// The lifecycle of a booking as the office records it (cupweb-tabella-prenotazione.txt, "Stato dello slot").
/// A hold is not a booking: it lives in its own table and either becomes a booking or expires.
public enum BookingState: String, CaseIterable, Sendable, Codable {
    case booked
    case done
    case absent
    case cancelledByCitizen = "cancelled_by_citizen"
    case cancelledByOperator = "cancelled_by_operator"

    /// Whether the booking still occupies its slot's capacity.
    public var occupiesSlot: Bool { self == .booked || self == .done || self == .absent }
}

/// What a week page shows for one cell (docs/ARCHITECTURE.md §3). Each has a text and an icon in the templates;
/// colour is never the only signal.
public enum CellState: String, CaseIterable, Sendable {
    /// At least one desk is free and the slot is inside the booking window.
    case free
    /// No desk is free but at least one is held by a citizen completing a booking.
    case held
    /// Every desk is booked.
    case booked
    /// The slot has started, or is closer than the service's minimum notice.
    case past
    /// Not a working time (no schedule, holiday, closure).
    case closed
    /// Beyond the booking window: it opens later.
    case notYetBookable = "not-yet-bookable"
    /// The operators are unavailable for every free desk.
    case unavailable
}
