/// A service's week: the union of slot start times as rows, one column a day.
public struct WeekGrid: Sendable {
    public struct Day: Sendable {
        public let date: CivilDate
        /// Set for a working weekday closed by a holiday or a closure.
        public let closedReason: ClosedReason?
        /// The day's slots in time order.
        public let cells: [SlotAvailability]

        public func cell(at time: LocalTime) -> SlotAvailability? { cells.first { $0.slot.start == time } }
    }

    public let monday: CivilDate
    public let times: [LocalTime]
    public let days: [Day]

    public var freeSlotCount: Int { days.reduce(0) { $0 + $1.cells.filter { $0.state == .free }.count } }
}
