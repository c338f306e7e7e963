import SportelloCore
import SportelloSite
import SportelloStore

/// What a move may choose from, shared by the citizen's and the office's routes: the free starts of the
/// booking's own service in the coming weeks, and the check a chosen start passes before the Store takes it.
struct MoveChoices {
    let catalogue: Catalogue
    let store: BookingStore
    let weeksPublished: Int

    /// How far ahead the list looks, and how many starts it offers at most: enough to choose from on one page.
    static let days = 28
    static let limit = 40

    /// The free starts of `service` from `now` on (bounded by `days`, `limit` and the service's window), but the
    /// booking's own. A start shown here may be taken before it is chosen: the Store checks it again.
    func freeStarts(for booking: Booking, service: Service, now: Int64) throws -> [Slot] {
        let today = RomeTime.local(now).date
        let lastDay = min(today.adding(days: Self.days), service.lastBookableDay(today: today)).adding(days: 1)
        let end = RomeTime.instant(date: lastDay, minutes: 0) ?? now
        let occupancy =
            try StoreOccupancy(store: store, catalogue: catalogue)
            .occupancy(serviceID: service.id, from: now, to: end, now: now)[service.id] ?? [:]
        return service.freeSlots(now: now, days: Self.days, before: end, occupancy: occupancy, limit: Self.limit + 1)
            .map(\.slot).filter { $0.startInstant != booking.slot.start }.prefix(Self.limit).map { $0 }
    }

    /// The slot of `service` starting at `start` when a new booking could take it now (an opening time inside the
    /// window, not past, not closed); otherwise nil and the refusal a hold would get.
    func target(_ start: Int64, service: Service, now: Int64) -> (slot: Slot?, refusal: EndpointError) {
        guard service.requestableInstants(now: now, weeksPublished: weeksPublished).contains(start),
            let slot = service.slot(startingAt: start)
        else { return (nil, .unknownSlot) }
        switch service.availability(of: slot, occupancy: .empty, now: now).state {
        case .free: return (slot, .unknownSlot)
        case .past: return (nil, .slotPast)
        case .notYetBookable: return (nil, .slotNotYetBookable)
        // With no occupancy given, anything else is a closed time: not one a booking can have.
        default: return (nil, .unknownSlot)
        }
    }
}
