/// One appointment slot of a service: a local wall-clock start on a date, and its real instants.
public struct Slot: Hashable, Sendable {
    public let date: CivilDate
    public let start: LocalTime
    /// Unix seconds (UTC) of the start and the end.
    public let startInstant: Int64
    public let endInstant: Int64

    /// Local wall-clock end (differs from start + length only across a DST change).
    public var end: LocalTime {
        let local = RomeTime.local(endInstant)
        return LocalTime(minutes: local.date == date ? local.minutes : 1440) ?? start
    }

    public var durationMinutes: Int { Int((endInstant - startInstant) / 60) }
}
