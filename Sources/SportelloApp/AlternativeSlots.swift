import SportelloCore
import SportelloSite
import SportelloStore

/// The nearest free slots offered with a refusal about a slot (full, past, expired hold…), found from the
/// occupancy the public pages show and reused while nothing changed (`AlternativesCache`).
final class AlternativeSlots: Sendable {
    let database: Database
    let source: any OccupancySource
    let clock: @Sendable () -> Int64
    /// Answers per (service, slot); see `nearestFreeSlots`.
    let alternatives = AlternativesCache()

    init(database: Database, source: any OccupancySource, clock: @escaping @Sendable () -> Int64) {
        self.database = database
        self.source = source
        self.clock = clock
    }

    /// During a rush thousands of refused citizens ask for alternatives in the same second while nothing
    /// changes; the answer is reused until the next committed write or the next second. Keys are slots the
    /// service really has inside its requestable range (`placeHold` refuses any other instant before
    /// this), and every slot after the last bookable day shares one key, so the cache stays small.
    func nearestFreeSlots(service: Service, from slot: Slot?, limit: Int) -> [Slot] {
        let now = clock()
        let lastDay = service.lastBookableDay(today: RomeTime.local(now).date)
        let key = AlternativesCache.Key(serviceID: service.id, slotStart: slot.map { $0.date > lastDay ? Int64.max : $0.startInstant }, limit: limit)
        let writes = database.committedWrites
        switch alternatives.lookup(key, writes: writes, now: now) {
        case .current(let cached):
            return cached
        case .overtaken(let cached):
            // Writes came since (a rush commits many times a second), or the clock moved on (a hold may have run
            // out): check the answer against a snapshot of the few slots it spans instead of searching two
            // weeks again.
            if let still = revalidate(cached, service: service, from: slot, limit: limit, now: now) {
                alternatives.store(still, for: key, writes: writes, now: now, revalidated: true)
                return still
            }
        case nil:
            break
        }
        let found = searchFreeSlots(service: service, from: slot, limit: limit, now: now)
        alternatives.store(found, for: key, writes: writes, now: now, revalidated: false)
        return found
    }

    /// The same answer as `searchFreeSlots` when it can be had from the slots between the requested one and
    /// the last alternative offered before; nil when a new search is needed. An answer of `limit` slots all
    /// after the requested one names the first free ones from there on: scanning just that span again, as it
    /// is now, finds them again, or a place freed meanwhile inside it (a cancellation, a hold run out), in
    /// their order; a slot that turned past or full is not free any more. One slot fewer and the rest of the
    /// two weeks must be searched.
    private func revalidate(_ cached: [Slot], service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot]? {
        let start = max(now, slot?.startInstant ?? now)
        guard cached.count == limit, let last = cached.last, cached.allSatisfy({ $0.startInstant >= start }),
              let occupancy = try? source.occupancy(serviceID: service.id, from: start, to: last.startInstant + 1, now: now)[service.id] ?? [:]
        else { return nil }
        let found = freeSlots(service: service, from: start, days: RomeTime.local(start).date...RomeTime.local(last.startInstant).date,
                              through: last.startInstant, excluding: slot?.startInstant, limit: limit, occupancy: occupancy, now: now)
        return found.count == limit ? found : nil
    }

    /// The first `limit` free slots of `days` starting in [start, end], in order.
    private func freeSlots(service: Service, from start: Int64, days: ClosedRange<CivilDate>, through end: Int64 = .max,
                           excluding excluded: Int64?, limit: Int, occupancy: [Int64: SlotOccupancy], now: Int64) -> [Slot] {
        var found: [Slot] = []
        var day = days.lowerBound
        while found.count < limit, day <= days.upperBound {
            for candidate in service.slots(on: day) where candidate.startInstant >= start && candidate.startInstant <= end
                && candidate.startInstant != excluded
                && service.availability(of: candidate, occupancy: occupancy[candidate.startInstant] ?? .empty, now: now).state == .free {
                found.append(candidate)
                if found.count == limit { break }
            }
            day = day.adding(days: 1)
        }
        return found
    }

    /// The first free slots after the chosen one; when there are fewer than `limit` in the next two weeks,
    /// the free ones just before it too, so an empty answer means nothing is left to book. Only days from
    /// today to the last bookable day can have a free slot, so the walk stays inside them: the search costs
    /// the same whatever date was asked for.
    private func searchFreeSlots(service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot] {
        let today = RomeTime.local(now).date
        let lastDay = service.lastBookableDay(today: today)
        let start = max(now, slot?.startInstant ?? now)
        let firstDay = min(RomeTime.local(start).date, lastDay)
        let endDay = min(RomeTime.local(start).date.adding(days: 14), lastDay)
        guard let occupancy = try? source.occupancy(serviceID: service.id, from: now - 86_400, to: Int64(endDay.dayNumber + 2) * 86_400,
                                                    now: now)[service.id] ?? [:] else {
            return []
        }
        func isFree(_ candidate: Slot) -> Bool {
            candidate.startInstant != slot?.startInstant
                && service.availability(of: candidate, occupancy: occupancy[candidate.startInstant] ?? .empty, now: now).state == .free
        }
        let after = firstDay <= endDay
            ? freeSlots(service: service, from: start, days: firstDay...endDay, excluding: slot?.startInstant, limit: limit, occupancy: occupancy, now: now)
            : []
        var before: [Slot] = []
        var day = firstDay
        while after.count + before.count < limit, day >= today {
            for candidate in service.slots(on: day).reversed() where candidate.startInstant >= now && candidate.startInstant < start && isFree(candidate) {
                before.append(candidate)
                if after.count + before.count == limit { break }
            }
            day = day.adding(days: -1)
        }
        return before.reversed() + after
    }
}
