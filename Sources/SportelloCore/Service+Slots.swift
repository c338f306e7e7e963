extension Service {
    /// Why the office is closed on `date`, or nil when it follows its weekly schedule.
    public func closedReason(on date: CivilDate) -> ClosedReason? {
        if let holiday = ItalianHolidays.holiday(on: date) { return .holiday(key: holiday.key) }
        if let patronSaint, patronSaint.month == date.month, patronSaint.day == date.day {
            return .patronSaint(name: patronSaint.name)
        }
        if let closure = closures.first(where: { $0.covers(date) }) { return .closure(reason: closure.reason) }
        return nil
    }

    /// The slots of a day in wall-clock order. Walking wall-clock time (not elapsed time) means the hour that
    /// does not exist on the spring DST day yields no slot, and the hour repeated in autumn yields each
    /// label once (at its first, summer-time, occurrence). A desk service's slots are its offered starts: one
    /// every `stepMinutes`, each `appointmentMinutes` long (docs/ARCHITECTURE.md §3 "Desks").
    public func slots(on date: CivilDate) -> [Slot] {
        desks.isEmpty
            ? slots(on: date, lengthMinutes: slotMinutes, stepMinutes: slotMinutes)
            : slots(on: date, lengthMinutes: appointmentMinutes, stepMinutes: stepMinutes)
    }

    /// The starts of a day `stepMinutes` apart, each `lengthMinutes` long and ending within its opening range,
    /// none overlapping a pause (after a pause the starts resume at its end). `slots(on:)` is the case
    /// step = length; a desk service asks for its own appointment length and step.
    public func slots(on date: CivilDate, lengthMinutes length: Int, stepMinutes step: Int) -> [Slot] {
        let (ranges, pauses) = hours(on: date)
        guard length > 0, step > 0, !ranges.isEmpty, closedReason(on: date) == nil else { return [] }
        var slots: [Slot] = []
        let midnight = Int64(date.dayNumber) * 86_400
        let dayOffset = RomeTime.uniformOffset(on: date)
        for range in ranges {
            var minutes = range.start.minutes
            while minutes + length <= range.end.minutes {
                if let pause = pauses.first(where: { $0.start.minutes < minutes + length && minutes < $0.end.minutes })
                {
                    minutes = max(pause.end.minutes, minutes + 1)
                    continue
                }
                let instant =
                    dayOffset.map { midnight + Int64(minutes) * 60 - $0 }
                    ?? RomeTime.instant(date: date, minutes: minutes)
                if let instant, let start = LocalTime(minutes: minutes) {
                    slots.append(
                        Slot(date: date, start: start, startInstant: instant, endInstant: instant + Int64(length) * 60))
                }
                minutes += step
            }
        }
        return slots
    }

    /// The slot starting at this instant, if the schedule has one (used to validate a requested hold).
    public func slot(startingAt instant: Int64) -> Slot? {
        guard RomeTime.supportedInstants.contains(instant) else { return nil }
        let local = RomeTime.local(instant)
        return slots(on: local.date).first { $0.startInstant == instant }
    }
}
