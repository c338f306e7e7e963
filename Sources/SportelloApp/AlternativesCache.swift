import SportelloCore
import Synchronization

/// Answers of `AlternativeSlots.nearestFreeSlots`, current while the database has seen no new write and the
/// clock is in the same second (a hold can run out without a write); an answer that writes or the clock have
/// overtaken is handed back to be checked (`revalidate`) rather than dropped. Bounded: cleared when it grows
/// large.
final class AlternativesCache: Sendable {
    struct Key: Hashable {
        let serviceID: String
        let slotStart: Int64?
        let limit: Int
    }

    enum Lookup {
        /// Nothing was written since: the answer as it is.
        case current([Slot])
        /// Written since, or from an earlier second: an answer to check before use.
        case overtaken([Slot])
    }

    private struct Entry {
        let slots: [Slot]
        let writes: Int
        let second: Int64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var searches = 0
        var revalidations = 0
    }

    private let state = Mutex(State())
    private let capacity = 10_000

    func lookup(_ key: Key, writes: Int, now: Int64) -> Lookup? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            return entry.writes == writes && entry.second == now ? .current(entry.slots) : .overtaken(entry.slots)
        }
    }

    func store(_ slots: [Slot], for key: Key, writes: Int, now: Int64, revalidated: Bool) {
        state.withLock { state in
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(slots: slots, writes: writes, second: now)
            if revalidated { state.revalidations += 1 } else { state.searches += 1 }
        }
    }

    /// Full searches and answers kept after a check, since the start (tests, benches).
    var counts: (searches: Int, revalidations: Int) { state.withLock { ($0.searches, $0.revalidations) } }
}
