import SportelloCore

extension BookingState {
    /// `BookingState.occupyingStates` as an SQL list, `('booked', 'pending', 'done', 'absent')`: the condition
    /// `state IN \(occupyingSQLList)` is the occupancy rule in the database. The order is the declaration
    /// order, the same text as the `bookings_occupying` partial index, so the planner can use it.
    static let occupyingSQLList = "(" + occupyingStates.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// `BookingState.isActive(slotStart:at:)` over the `bookings` table, `now` being an SQL expression.
    static func sqlActive(at now: String) -> String {
        let states = allCases.filter { $0.isActive(slotStart: 1, at: 0) }.map { "'\($0.rawValue)'" }
        return "state IN (\(states.joined(separator: ", "))) AND slot_start > \(now)"
    }

    /// The active bookings that `receivesReminder`, over the `bookings` table, `now` being an SQL expression.
    static func sqlRemindable(at now: String) -> String {
        let states = allCases.filter { $0.receivesReminder && $0.isActive(slotStart: 1, at: 0) }
        return "state IN (\(states.map { "'\($0.rawValue)'" }.joined(separator: ", "))) AND slot_start > \(now)"
    }
}
