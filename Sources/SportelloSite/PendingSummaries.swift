import SportelloCore

/// The office pages and the catalogue of a full build, each due as soon as the next free slots it shows are known:
/// an office's once that of every public service under it is, the catalogue's once all are. A service is done here
/// once its occupancy is read and its next free slot found, before its own pages are rendered: the worker that
/// completes the last one renders the page inside the build's parallel phase while the other core renders on,
/// rather than one core rendering them all after it while the other waits (docs/ARCHITECTURE.md §4, "Publishing").
struct PendingSummaries {
    /// Per office id: its public services not done yet.
    private var remaining: [String: Int] = [:]
    /// Per office id: the public services under it, whose next free slots its page shows.
    private var servicesUnder: [String: [String]] = [:]
    /// The offices, by id.
    private var offices: [String: CatalogueEntry] = [:]
    /// The next free slot of each service done so far.
    private(set) var nextFree: [String: SlotAvailability?] = [:]
    /// Services not done yet.
    private var servicesLeft: Int
    /// Offices with no public service under them: due from the start.
    let dueAtStart: [CatalogueEntry]

    /// Pages to render now: offices, each with the next free slots of its services, and, once every service is
    /// done, the catalogue's (all of them).
    struct Due {
        /// The offices whose every service is done, with their services' next free slots.
        var offices: [(office: CatalogueEntry, nextFree: [String: SlotAvailability?])] = []
        /// Every service's next free slot, once the last service is done: the catalogue is due.
        var catalogue: [String: SlotAvailability?]?
    }

    /// Waiting for `services` (the public services the build renders) under `offices`.
    init(offices: [CatalogueEntry], services: [Service]) {
        for office in offices {
            self.offices[office.id] = office
            remaining[office.id] = 0
        }
        for service in services {
            for id in service.ancestorIDs where remaining[id] != nil {
                remaining[id, default: 0] += 1
                servicesUnder[id, default: []].append(service.id)
            }
        }
        servicesLeft = services.count
        let waiting = remaining
        dueAtStart = offices.filter { waiting[$0.id] == 0 }
    }

    /// Records that `service` is done, its next free slot `next`; returns the pages now due.
    mutating func complete(_ service: Service, next: SlotAvailability?) -> Due {
        nextFree[service.id] = .some(next)
        servicesLeft -= 1
        var due = Due()
        for id in service.ancestorIDs {
            guard let left = remaining[id], left > 0, let office = offices[id] else { continue }
            remaining[id] = left - 1
            guard left == 1 else { continue }
            var shown: [String: SlotAvailability?] = [:]
            for serviceID in servicesUnder[id] ?? [] { shown[serviceID] = nextFree[serviceID] }
            due.offices.append((office, shown))
        }
        if servicesLeft == 0 { due.catalogue = nextFree }
        return due
    }
}
