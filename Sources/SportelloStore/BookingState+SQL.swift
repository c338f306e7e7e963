import SportelloCore

extension BookingState {
    /// `BookingState.occupyingStates` as an SQL list, `('booked', 'done', 'absent')`: the condition
    /// `state IN \(occupyingSQLList)` is the occupancy rule in the database. The order is the declaration
    /// order, the same text as the `bookings_occupying` partial index, so the planner can use it.
    static let occupyingSQLList = "(" + occupyingStates.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// `BookingState.isActive(slotStart:at:)` over the `bookings` table, `now` being an SQL expression.
    static func sqlActive(at now: String) -> String {
        "state = '\(BookingState.booked.rawValue)' AND slot_start > \(now)"
    }
}
