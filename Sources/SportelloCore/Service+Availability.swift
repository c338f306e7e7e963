extension Service {
    /// The last bookable day when today is `today`: windows open one day at a time at local midnight.
    public func lastBookableDay(today: CivilDate) -> CivilDate { today.adding(days: window.maxDaysAhead) }

    /// The instants a request may name as a slot of this service at instant `now`: from the Monday of the
    /// week before (a page left open over a weekend still gets "slot past") to a week after the later of the
    /// last bookable day and the last of `weeksPublished` published weeks ("not yet bookable"). Anything
    /// else is refused before any date math, so what a request costs does not depend on the date it names.
    public func requestableInstants(now: Int64, weeksPublished: Int) -> ClosedRange<Int64> {
        let today = RomeTime.local(now).date
        let published = today.mondayOfWeek.adding(days: 7 * min(max(weeksPublished, 0), 1_000))
        let last = max(lastBookableDay(today: today), published).adding(days: 7)
        return
            (Int64(today.mondayOfWeek.adding(days: -7).dayNumber) * 86_400 - 7_200)...(Int64(last.dayNumber) * 86_400)
    }

    /// The state of a slot at instant `now`, given how its desks are occupied.
    public func availability(of slot: Slot, occupancy: SlotOccupancy, now: Int64) -> SlotAvailability {
        availability(
            of: slot, occupancy: occupancy, now: now, lastBookableDay: lastBookableDay(today: RomeTime.local(now).date))
    }

    func availability(
        of slot: Slot, occupancy: SlotOccupancy, now: Int64, lastBookableDay: CivilDate
    ) -> SlotAvailability {
        // Overflow only for a `now` near the end of time, when every slot is past.
        let (edge, overflow) = now.addingReportingOverflow(Int64(window.minimumNoticeMinutes) * 60)
        if overflow || slot.startInstant <= edge {
            return SlotAvailability(slot: slot, state: .past, freeDesks: 0)
        }
        if slot.date > lastBookableDay {
            return SlotAvailability(slot: slot, state: .notYetBookable, freeDesks: 0)
        }
        let free = capacity - occupancy.booked - occupancy.held - occupancy.blocked
        if free > 0 { return SlotAvailability(slot: slot, state: .free, freeDesks: free) }
        let state: CellState
        if occupancy.booked >= capacity {
            state = .booked
        } else if occupancy.held > 0 {
            state = .held
        } else {
            state = .unavailable
        }
        return SlotAvailability(slot: slot, state: state, freeDesks: 0)
    }

    /// The week starting on `monday` as rows of wall-clock times × 7 days, for the week page.
    public func week(startingOn monday: CivilDate, occupancy: [Int64: SlotOccupancy], now: Int64) -> WeekGrid {
        var days: [WeekGrid.Day] = []
        // Sorted, then each time once: cheaper than hashing every slot into a set (a full build makes a grid
        // for every week of every service to check its digest).
        var times: [LocalTime] = []
        let lastDay = lastBookableDay(today: RomeTime.local(now).date)
        for offset in 0..<7 {
            let date = monday.adding(days: offset)
            let slots = slots(on: date)
            let cells = slots.map {
                availability(
                    of: $0, occupancy: occupancy[$0.startInstant] ?? .empty, now: now, lastBookableDay: lastDay)
            }
            for slot in slots { times.append(slot.start) }
            // A day with slots is open (`slots(on:)` makes none on a closed day): only an empty one is looked up.
            let closed = slots.isEmpty && !hours(on: date).ranges.isEmpty ? closedReason(on: date) : nil
            days.append(WeekGrid.Day(date: date, closedReason: closed, cells: cells))
        }
        times.sort()
        var distinct: [LocalTime] = []
        distinct.reserveCapacity(times.count)
        for time in times where time != distinct.last { distinct.append(time) }
        return WeekGrid(monday: monday, times: distinct, days: days)
    }

    /// The first free slot from `now` on, looking at most `days` days ahead.
    public func nextFreeSlot(now: Int64, days: Int, occupancy: [Int64: SlotOccupancy]) -> SlotAvailability? {
        let today = RomeTime.local(now).date
        let lastDay = lastBookableDay(today: today)
        for offset in 0...max(0, days) {
            for slot in slots(on: today.adding(days: offset)) {
                let availability = availability(
                    of: slot, occupancy: occupancy[slot.startInstant] ?? .empty, now: now, lastBookableDay: lastDay)
                if availability.state == .free { return availability }
            }
        }
        return nil
    }
}
