import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// What an operator can do, shared by the HTTP endpoint and the command line: each action checks the
/// operator's scope, runs one store transaction (with its audit row) and returns what it changed.
struct OperatorDesk {
    let catalogue: Catalogue
    let store: BookingStore
    let account: Operator
    /// Where the request came from, for the audit log ("cli" for the command line).
    let address: String
    /// The channels of the citizen's "booking cancelled" messages, queued inside the cancelling transaction.
    let messages: MessagePolicy

    enum Failure: Error, Equatable {
        case forbidden, unknownService, badRange, unknownDesk
        case booking(BookingError)

        var endpointError: EndpointError {
            switch self {
            case .forbidden: .forbidden
            case .unknownService: .unknownService
            case .badRange: .badRange
            case .unknownDesk: .unknownDesk
            case .booking(let error): EndpointError(error)
            }
        }
    }

    /// The services an agenda covers: one entry (office or service) of the operator's scope, or all of it.
    func serviceIDs(entryID: String?) throws(Failure) -> [String] {
        let allowed = account.serviceIDs(in: catalogue)
        guard let entryID, !entryID.isEmpty else { return allowed }
        let wanted = catalogue.serviceIDs(under: entryID)
        if wanted.isEmpty { throw .unknownService }
        let permitted = wanted.filter(allowed.contains)
        if permitted.isEmpty { throw .forbidden }
        return permitted
    }

    /// The day's bookings and unavailabilities of the chosen services.
    func agenda(entryID: String?, date: CivilDate) throws(Failure) -> (bookings: [Booking], blocks: [Block]) {
        let services = try serviceIDs(entryID: entryID)
        let (from, to) = Self.bounds(of: date)
        do {
            let bookings = try store.agenda(serviceIDs: services, from: from, to: to)
            let blocks = try store.blocks(serviceID: nil, from: from, to: to).filter { services.contains($0.serviceID) }
            return (bookings, blocks)
        } catch let error as BookingError {
            throw .booking(error)
        } catch {
            throw .booking(.database(DatabaseError(error)))
        }
    }

    func recordOutcome(code: String, outcome: Outcome, now: Int64) throws(Failure) -> Committed<Booking> {
        try authorize(code: code)
        do {
            return try store.recordOutcome(
                code: code, outcome: outcome, now: now, actor: account.actor,
                address: address)
        } catch {
            throw .booking(error)
        }
    }

    func cancel(code: String, reason: String, keepClosed: Bool, now: Int64) throws(Failure) -> Committed<Booking> {
        try authorize(code: code)
        do {
            return try store.cancelByOperator(
                code: code, reason: reason, keepClosed: keepClosed, now: now,
                actor: account.actor,
                address: address, messages: messages)
        } catch {
            throw .booking(error)
        }
    }

    /// Confirms a pending request of a service in the operator's scope (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
    func approve(code: String, now: Int64) throws(Failure) -> Committed<Booking> {
        try authorize(code: code)
        do {
            return try store.approve(
                code: code, now: now, actor: account.actor, address: address, messages: messages)
        } catch {
            throw .booking(error)
        }
    }

    /// Refuses a pending request of a service in the operator's scope, telling the citizen `reason`.
    func refuse(code: String, reason: String, now: Int64) throws(Failure) -> Committed<Booking> {
        try authorize(code: code)
        do {
            return try store.refuse(
                code: code, reason: reason, now: now, actor: account.actor, address: address, messages: messages)
        } catch {
            throw .booking(error)
        }
    }

    /// Books `slot` of a service in the operator's scope for the person the clerk typed in, by the same path as a
    /// citizen's booking (the hold checks the capacity, the confirmation the per-person limits), audited with the
    /// operator. A request made by the office needs no approval of its own.
    func book(
        service: Service, slot: Slot, person: PersonDetails, policy: BookingPolicy, language: String, now: Int64
    ) throws(Failure) -> Committed<Booking> {
        guard account.covers(serviceID: service.id, in: catalogue) else { throw .forbidden }
        let hold: Committed<Hold>
        do {
            hold = try store.placeHold(
                slot: SlotRef(serviceID: service.id, start: slot.startInstant), capacity: service.capacity,
                now: now, expiresAt: now + 60, clientIP: address, desk: catalogue.deskClaim(of: service, slot: slot))
        } catch {
            throw .booking(error)
        }
        do {
            return try store.confirm(
                holdToken: hold.value.token, person: person, slotEnd: slot.endInstant, now: now,
                clientIP: address, policy: policy, language: language, actor: account.actor)
        } catch {
            // The place goes back at once rather than when the hold would run out.
            _ = try? store.releaseHold(token: hold.value.token, now: now, clientIP: address)
            throw .booking(error)
        }
    }

    /// Unavailability of `desks` desks (all when nil) of a service on a date between two local times, or of the
    /// one desk called `deskName` (one of a desk service's desks: every service sharing it loses it).
    func block(
        serviceID: String, date: CivilDate, from: LocalTime, to: LocalTime, desks: Int?, deskName: String? = nil,
        reason: String?, cancelBookings: Bool,
        now: Int64
    ) throws(Failure) -> Committed<(block: Block, affected: [Booking])> {
        guard let service = catalogue.service(id: serviceID) else { throw .unknownService }
        guard account.covers(serviceID: serviceID, in: catalogue) else { throw .forbidden }
        guard from < to, let start = RomeTime.instant(date: date, minutes: from.minutes),
            let end = RomeTime.instant(date: date, minutes: to.minutes), start < end
        else { throw .badRange }
        let count = min(max(desks ?? service.capacity, 1), service.capacity)
        var named: DeskID?
        if let deskName {
            // The form sends the store's key ("<office>/<name>"), a script or the command line may say the name.
            guard let desk = service.desks.first(where: { $0.key == deskName || $0.name == deskName }) else {
                throw .unknownDesk
            }
            named = desk
        }
        do {
            return try store.addBlock(
                serviceID: serviceID, startsAt: start, endsAt: end, desks: count, desk: named, reason: reason,
                cancelAffected: cancelBookings, now: now, actor: account.actor,
                address: address, messages: messages)
        } catch {
            throw .booking(error)
        }
    }

    func unblock(id: Int64, now: Int64) throws(Failure) -> Committed<Block> {
        let existing: [Block]
        do { existing = try store.blocks(serviceID: nil, from: Int64.min / 2, to: Int64.max / 2) } catch {
            throw .booking(.database(DatabaseError(error)))
        }
        guard let block = existing.first(where: { $0.id == id }) else { throw .booking(.blockNotFound) }
        guard account.covers(serviceID: block.serviceID, in: catalogue) else { throw .forbidden }
        do {
            return try store.removeBlock(id: id, now: now, actor: account.actor, address: address)
        } catch {
            throw .booking(error)
        }
    }

    /// An action on a booking needs the booking's service to be in the operator's scope.
    func authorize(code: String) throws(Failure) {
        let booking: Booking?
        do { booking = try store.booking(code: code) } catch { throw .booking(error) }
        guard let booking else { throw .booking(.bookingNotFound) }
        guard account.covers(serviceID: booking.slot.serviceID, in: catalogue) else { throw .forbidden }
    }

    /// Unix seconds of a local day's first and next day's first instant.
    static func bounds(of date: CivilDate) -> (Int64, Int64) {
        let start = Int64(date.dayNumber) * 86_400 - RomeTime.offset(at: Int64(date.dayNumber) * 86_400)
        let next = date.adding(days: 1)
        let end = Int64(next.dayNumber) * 86_400 - RomeTime.offset(at: Int64(next.dayNumber) * 86_400)
        return (start, end)
    }
}
