import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The store seen as the publisher's source of slot occupancy: bookings and holds counted per slot, and
/// operator blocks (time ranges) laid over the slots of the services they cover. A desk service's starts are
/// counted from the intervals on its desks, whichever service put them there (docs/ARCHITECTURE.md §3 "Desks").
public struct StoreOccupancy: OccupancySource {
    /// Where bookings, holds and blocks are read.
    public let store: BookingStore
    /// The services, to find which slots a block covers.
    public let catalogue: Catalogue
    /// The services with desks, found once: every week page the publisher renders asks, and a walk over all
    /// services each time grew with the comune.
    private let deskServices: [Service]

    /// Occupancy of `catalogue`'s slots as recorded in `store`.
    public init(store: BookingStore, catalogue: Catalogue) {
        self.store = store
        self.catalogue = catalogue
        deskServices = catalogue.services.filter { !$0.desks.isEmpty }
    }

    /// Taken places per service and slot start in [from, to), blocks counted as taken desks.
    public func occupancy(
        serviceID: String?, from: Int64, to: Int64, now: Int64
    ) throws -> [String: [Int64: SlotOccupancy]] {
        let deskServices = deskServices.filter { serviceID == nil || $0.id == serviceID }
        // A desk service's counts come from its desks alone: asked for one, the store's counts would all be dropped.
        var result =
            serviceID != nil && !deskServices.isEmpty
            ? [:] : try store.occupancy(serviceID: serviceID, from: from, to: to, now: now)
        for service in deskServices { result[service.id] = nil }
        if !deskServices.isEmpty {
            for (id, starts) in try deskOccupancy(of: deskServices, from: from, to: to, now: now) {
                result[id] = starts
            }
        }
        for block in try store.blocks(serviceID: serviceID, from: from, to: to) {
            guard let service = catalogue.service(id: block.serviceID), service.desks.isEmpty else { continue }
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

    /// The starts of `services` (desk services) in [from, to) with something on their desks: the intervals
    /// of every service sharing them, and the blocks of those services laid on the desks they take.
    func deskOccupancy(
        of services: [Service], from: Int64, to: Int64, now: Int64
    ) throws -> [String: [Int64: SlotOccupancy]] {
        // A start before `to` runs past it by at most the longest appointment.
        let reach = Int64(SiteConfiguration.longestAppointmentMinutes) * 60
        guard RomeTime.supportedInstants.contains(from), RomeTime.supportedInstants.contains(to),
            let range = DeskInterval(start: from, end: to + reach)
        else { return [:] }
        let desks = Set(services.flatMap(\.desks))
        var busy = try DeskBookings(database: store.database).occupancy(desks: desks, overlapping: range, now: now)
        let blocking = catalogue.services.filter { !desks.isDisjoint(with: $0.desks) }
        for block in try store.blocks(serviceID: nil, from: range.start, to: range.end) {
            guard let owner = blocking.first(where: { $0.id == block.serviceID }),
                let span = DeskInterval(start: block.startsAt, end: block.endsAt)
            else { continue }
            busy.block(block.desks, named: block.desk, of: owner.desks, over: span)
        }
        var result: [String: [Int64: SlotOccupancy]] = [:]
        for service in services {
            var day = RomeTime.local(from).date
            let lastDay = RomeTime.local(to).date
            while day <= lastDay {
                for slot in service.slots(on: day) where slot.startInstant >= from && slot.startInstant < to {
                    guard let interval = DeskInterval(start: slot.startInstant, end: slot.endInstant) else { continue }
                    let occupancy = busy.slotOccupancy(of: interval, desks: service.desks)
                    if occupancy != .empty { result[service.id, default: [:]][slot.startInstant] = occupancy }
                }
                day = day.adding(days: 1)
            }
        }
        return result
    }
}
