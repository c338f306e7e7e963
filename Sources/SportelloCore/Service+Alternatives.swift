/// The nearest free slots offered with a refusal ("that slot is taken; these are free"), as a bounded search
/// over availability (docs/ARCHITECTURE.md §3). The caller reads the occupancy of the range it is told and
/// may cache the answer; the search itself is pure.
extension Service {
    /// How many days after the requested one the search looks for free slots.
    public static let alternativesSearchDays = 14

    /// The instants whose occupancy `nearestFreeSlots(from: slot, …)` reads, when asked at `now`.
    public func alternativesOccupancyRange(from slot: Slot?, now: Int64) -> Range<Int64> {
        (now - 86_400)..<(Int64(alternativesLastDay(from: slot, now: now).dayNumber + 2) * 86_400)
    }

    /// The last day the search after the requested slot walks: two weeks on, never past the last bookable day.
    private func alternativesLastDay(from slot: Slot?, now: Int64) -> CivilDate {
        let start = max(now, slot?.startInstant ?? now)
        let twoWeeksOn = RomeTime.local(start).date.adding(days: Self.alternativesSearchDays)
        return min(twoWeeksOn, lastBookableDay(today: RomeTime.local(now).date))
    }

    /// The first `limit` free slots after `slot` (or from `now`, without one); when there are fewer in the next
    /// two weeks, the free ones just before it too, so an empty answer means nothing is left to book. Only days
    /// from today to the last bookable day can have a free slot, so the walk stays inside them: the search
    /// costs the same whatever date was asked for. `occupancy` covers `alternativesOccupancyRange`.
    public func nearestFreeSlots(
        from slot: Slot?, limit: Int, now: Int64,
        occupancy: [Int64: SlotOccupancy]
    ) -> [Slot] {
        let today = RomeTime.local(now).date
        let lastDay = lastBookableDay(today: today)
        let start = max(now, slot?.startInstant ?? now)
        let firstDay = min(RomeTime.local(start).date, lastDay)
        let endDay = alternativesLastDay(from: slot, now: now)
        func isFree(_ candidate: Slot) -> Bool {
            candidate.startInstant != slot?.startInstant && isFreeSlot(candidate, occupancy: occupancy, now: now)
        }
        let after =
            firstDay <= endDay
            ? freeSlots(
                from: start, days: firstDay...endDay, excluding: slot?.startInstant, limit: limit,
                occupancy: occupancy, now: now)
            : []
        var before: [Slot] = []
        var day = firstDay
        while after.count + before.count < limit, day >= today {
            for candidate in slots(on: day).reversed()
            where candidate.startInstant >= now && candidate.startInstant < start && isFree(candidate) {
                before.append(candidate)
                if after.count + before.count == limit { break }
            }
            day = day.adding(days: -1)
        }
        return before.reversed() + after
    }

    /// The instants whose occupancy `revalidatedFreeSlots` reads to check `cached`, or nil when `cached` cannot
    /// be checked that way and a new search is needed.
    public func revalidationRange(of cached: [Slot], from slot: Slot?, limit: Int, now: Int64) -> Range<Int64>? {
        let start = max(now, slot?.startInstant ?? now)
        guard cached.count == limit, let last = cached.last, cached.allSatisfy({ $0.startInstant >= start }) else {
            return nil
        }
        return start..<(last.startInstant + 1)
    }

    /// The same answer as `nearestFreeSlots` when it can be had from the slots between the requested one and
    /// the last alternative offered before (`cached`); nil when a new search is needed. An answer of `limit`
    /// slots all after the requested one names the first free ones from there on: scanning just that span
    /// again, as it is now, finds them again, or a place freed meanwhile inside it (a cancellation, a hold
    /// run out), in their order; a slot that turned past or full is not free any more. One slot fewer and
    /// the rest of the two weeks must be searched. `occupancy` covers `revalidationRange`.
    public func revalidatedFreeSlots(
        _ cached: [Slot], from slot: Slot?, limit: Int, now: Int64,
        occupancy: [Int64: SlotOccupancy]
    ) -> [Slot]? {
        guard let range = revalidationRange(of: cached, from: slot, limit: limit, now: now) else { return nil }
        let last = range.upperBound - 1
        let days = RomeTime.local(range.lowerBound).date...RomeTime.local(last).date
        let found = freeSlots(
            from: range.lowerBound, days: days, through: last, excluding: slot?.startInstant,
            limit: limit, occupancy: occupancy, now: now)
        return found.count == limit ? found : nil
    }

    /// The first `limit` free slots of `days` starting in [start, end], in order.
    func freeSlots(
        from start: Int64, days: ClosedRange<CivilDate>, through end: Int64 = .max,
        excluding excluded: Int64?, limit: Int, occupancy: [Int64: SlotOccupancy], now: Int64
    ) -> [Slot] {
        var found: [Slot] = []
        var day = days.lowerBound
        while found.count < limit, day <= days.upperBound {
            for candidate in slots(on: day)
            where candidate.startInstant >= start && candidate.startInstant <= end
                && candidate.startInstant != excluded && isFreeSlot(candidate, occupancy: occupancy, now: now)
            {
                found.append(candidate)
                if found.count == limit { break }
            }
            day = day.adding(days: 1)
        }
        return found
    }

    /// Whether a citizen could take `slot` at `now`.
    private func isFreeSlot(_ slot: Slot, occupancy: [Int64: SlotOccupancy], now: Int64) -> Bool {
        availability(of: slot, occupancy: occupancy[slot.startInstant] ?? .empty, now: now).state == .free
    }
}
