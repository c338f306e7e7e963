import SportelloCore

/// The seven states the office's grid shows for what takes a slot's desks (the CUPweb set): a booking's state,
/// a live hold, a free desk, or a closed one (a closed day, an unavailability, a past slot nobody took).
/// The public week never shows these: outcomes are the office's business (docs/ARCHITECTURE.md §3).
enum OperatorSlotState: String, CaseIterable, Sendable {
    case free, held, booked, done, absent, cancelled, closed

    /// The state a booking shows: both kinds of cancellation are one state on the grid (the day's list and its
    /// CSV tell who cancelled); a request waiting for approval takes its slot like a booking, its text says
    /// "in attesa di conferma".
    init(_ state: BookingState) {
        switch state {
        case .booked, .pending: self = .booked
        case .done: self = .done
        case .absent: self = .absent
        case .cancelledByCitizen, .cancelledByOperator: self = .cancelled
        }
    }
}
