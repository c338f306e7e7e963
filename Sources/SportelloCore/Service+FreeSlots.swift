extension Service {
    /// The first `limit` free slots from `now` on, at most `days` days ahead and starting before `end` (where
    /// the occupancy the caller read stops): what a service's `next.json` lists.
    public func freeSlots(
        now: Int64, days: Int, before end: Int64, occupancy: [Int64: SlotOccupancy], limit: Int
    ) -> [SlotAvailability] {
        let today = RomeTime.local(now).date
        let lastDay = lastBookableDay(today: today)
        var found: [SlotAvailability] = []
        guard limit > 0 else { return found }
        for offset in 0...max(0, days) {
            for slot in slots(on: today.adding(days: offset)) {
                guard slot.startInstant < end else { return found }
                let availability = availability(
                    of: slot, occupancy: occupancy[slot.startInstant] ?? .empty, now: now, lastBookableDay: lastDay)
                guard availability.state == .free else { continue }
                found.append(availability)
                if found.count == limit { return found }
            }
        }
        return found
    }
}
