/// One appointment slot of a service: a local wall-clock start on a date, and its real instants.
public struct Slot: Hashable, Sendable {
    /// The civil day the slot is on.
    public let date: CivilDate
    /// The local time the slot starts, as the week page shows it.
    public let start: LocalTime
    /// Unix seconds (UTC) of the start.
    public let startInstant: Int64
    /// Unix seconds (UTC) of the end.
    public let endInstant: Int64

    /// Local wall-clock end (differs from start + length only across a DST change).
    public var end: LocalTime {
        let local = RomeTime.local(endInstant)
        return LocalTime(minutes: local.date == date ? local.minutes : 1440) ?? start
    }

    /// Length of the slot; real minutes, so right across a change of civil time.
    public var durationMinutes: Int { Int((endInstant - startInstant) / 60) }
}
