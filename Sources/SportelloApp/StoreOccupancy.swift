import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The store seen as the publisher's source of slot occupancy: bookings and holds counted per slot, and
/// operator blocks (time ranges) laid over the slots of the services they cover.
public struct StoreOccupancy: OccupancySource {
    /// Where bookings, holds and blocks are read.
    public let store: BookingStore
    /// The services, to find which slots a block covers.
    public let catalogue: Catalogue

    /// Occupancy of `catalogue`'s slots as recorded in `store`.
    public init(store: BookingStore, catalogue: Catalogue) {
        self.store = store
        self.catalogue = catalogue
    }

    /// Taken places per service and slot start in [from, to), blocks counted as taken desks.
    public func occupancy(
        serviceID: String?, from: Int64, to: Int64, now: Int64
    ) throws -> [String: [Int64: SlotOccupancy]] {
        var result = try store.occupancy(serviceID: serviceID, from: from, to: to, now: now)
        for block in try store.blocks(serviceID: serviceID, from: from, to: to) {
            guard let service = catalogue.service(id: block.serviceID) else { continue }
            let start = max(block.startsAt, from)
            let end = min(block.endsAt, to)
            var day = RomeTime.local(start).date
            let lastDay = RomeTime.local(end).date
            while day <= lastDay {
                for slot in service.slots(on: day) where slot.startInstant >= start && slot.startInstant < end {
                    result[service.id, default: [:]][slot.startInstant, default: .empty].blocked += block.desks
                }
                day = day.adding(days: 1)
            }
        }
        return result
    }
}
