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
