/// A service's week: the union of slot start times as rows, one column a day.
public struct WeekGrid: Sendable {
    /// One column of the grid.
    public struct Day: Sendable {
        /// The day this column shows.
        public let date: CivilDate
        /// Set for a working weekday closed by a holiday or a closure.
        public let closedReason: ClosedReason?
        /// The day's slots in time order.
        public let cells: [SlotAvailability]

        /// The slot starting at `time` on this day, or nil where the day has none (the page shows an empty cell).
        public func cell(at time: LocalTime) -> SlotAvailability? { cells.first { $0.slot.start == time } }
    }

    /// The Monday the week starts on, which names the week page.
    public let monday: CivilDate
    /// The rows: every start time some day of the week has, in order.
    public let times: [LocalTime]
    /// The columns, Monday first.
    public let days: [Day]

    /// Slots still free this week (the page says so when there are none).
    public var freeSlotCount: Int { days.reduce(0) { $0 + $1.cells.filter { $0.state == .free }.count } }
}
