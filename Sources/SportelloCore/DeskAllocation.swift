/// Desks shared by services of different lengths (docs/ARCHITECTURE.md §3 "Desks"): a booking occupies one
/// desk over [start, end); it gets the first desk, in the service's order, with nothing overlapping; a start
/// is offered when some desk is free for the whole appointment. Pure: the store passes in what is occupied.
public enum DeskAllocation {
    /// The first of `desks` on which `request` overlaps none of that desk's `occupied` intervals, or nil when
    /// every desk is busy at some moment of it. The same inputs always give the same desk.
    public static func assign(
        _ request: DeskInterval, desks: [DeskID],
        occupied: [DeskID: [DeskInterval]]
    ) -> DeskID? {
        desks.first { desk in !(occupied[desk] ?? []).contains { $0.overlaps(request) } }
    }

    /// The starts of `service` on `date` (its step, its appointment length, its opening hours, pauses and
    /// closures, as `Service.slots(on:lengthMinutes:stepMinutes:)` cuts them) that `assign` would give a desk,
    /// with `occupied` holding the busy intervals of its desks from every service sharing them. A service
    /// without desks has none: its slots and capacity work as before.
    public static func freeStarts(
        of service: Service, on date: CivilDate,
        occupied: [DeskID: [DeskInterval]]
    ) -> [Slot] {
        guard !service.desks.isEmpty else { return [] }
        return service.slots(on: date, lengthMinutes: service.appointmentMinutes, stepMinutes: service.stepMinutes)
            .filter { slot in
                guard let interval = DeskInterval(start: slot.startInstant, end: slot.endInstant) else { return false }
                return assign(interval, desks: service.desks, occupied: occupied) != nil
            }
    }
}
