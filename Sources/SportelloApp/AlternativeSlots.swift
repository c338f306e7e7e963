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
        let key = AlternativesCache.Key(
            serviceID: service.id, slotStart: slot.map { $0.date > lastDay ? Int64.max : $0.startInstant }, limit: limit
        )
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

    /// `Service.revalidatedFreeSlots` over a snapshot of the few slots `cached` spans; nil when a new search
    /// is needed.
    private func revalidate(_ cached: [Slot], service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot]? {
        // A failed read means "search again", which reports the failure.
        guard let range = service.revalidationRange(of: cached, from: slot, limit: limit, now: now),
            let occupancy = try? source.occupancy(
                serviceID: service.id, from: range.lowerBound, to: range.upperBound,
                now: now)[service.id] ?? [:]
        else { return nil }
        return service.revalidatedFreeSlots(cached, from: slot, limit: limit, now: now, occupancy: occupancy)
    }

    /// `Service.nearestFreeSlots` over the occupancy of the range it reads.
    private func searchFreeSlots(service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot] {
        let range = service.alternativesOccupancyRange(from: slot, now: now)
        let occupancy: [Int64: SlotOccupancy]
        do {
            occupancy =
                try source.occupancy(
                    serviceID: service.id, from: range.lowerBound, to: range.upperBound,
                    now: now)[service.id] ?? [:]
        } catch {
            // The alternatives only accompany another answer: offer none, but never silently.
            Log.error("alternatives_unread", ["error": .text("\(error)")])
            return []
        }
        return service.nearestFreeSlots(from: slot, limit: limit, now: now, occupancy: occupancy)
    }
}
