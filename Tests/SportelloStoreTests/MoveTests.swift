import Dispatch
import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloStore

/// Moving a booking: one transaction that takes the new place with a new hold's check, then frees the old.
@Suite struct MoveTests {
    let path = temporaryDatabasePath()
    let mail = MessagePolicy(email: true, sms: true)
    var later: SlotRef { SlotRef(serviceID: slot.serviceID, start: slot.start + 1_800) }

    func book(_ store: BookingStore, at target: SlotRef = slot, person: PersonDetails = mario) throws -> Booking {
        let hold = try store.placeHold(slot: target, capacity: 2, now: now, expiresAt: now + 600, clientIP: "t").value
        return try store.confirm(
            holdToken: hold.token, person: person, slotEnd: target.start + 1_200, now: now, clientIP: "t"
        ).value
    }

    func occupying(_ store: BookingStore, _ target: SlotRef) throws -> Int64 {
        try store.database.read { try store.occupied($0, target, now: now) }
    }

    @Test func aMoveKeepsCodeLengthAndPersonRaisesTheSequenceAndFreesTheOldPlace() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let booked = try book(store)
        #expect(booked.sequence == 0)
        let moved = try store.move(
            code: booked.code.lowercased(), codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1,
            now: now + 60, clientIP: "10.0.0.1", messages: mail)
        #expect(moved.value.id == booked.id)
        #expect(moved.value.code == booked.code)
        #expect(moved.value.slot == later)
        #expect(moved.value.slotEnd - moved.value.slot.start == booked.slotEnd - booked.slot.start)
        #expect(moved.value.person == booked.person)
        #expect(moved.value.state == .booked)
        #expect(moved.value.sequence == 1)
        // Both weeks' pages are re-marked; the citizen is told once per channel.
        #expect(moved.change.slots == [slot, later])
        #expect(moved.change.messagesQueued == 2)
        #expect(try occupying(store, slot) == 0)
        #expect(try occupying(store, later) == 1)
        let messages = try Outbox(database: store.database).list().filter { $0.kind == .moved }
        #expect(Set(messages.map(\.channel)) == [.email, .sms])
        #expect(messages.allSatisfy { $0.payload["from"] == String(slot.start) && $0.bookingID == booked.id })
        // Audited: who, from, to.
        let audit = try store.database.auditEntries(since: 0, actor: nil, limit: 50).filter { $0.action == "move" }
        #expect(audit.count == 1)
        #expect(audit.first?.subject == booked.code)
        let details = try store.database.read {
            try $0.first("SELECT details FROM audit WHERE action = 'move'") { $0.optionalText(0) }
        }
        #expect(details == "\(RomeTime.iso8601(slot.start)) → \(RomeTime.iso8601(later.start))")
        // A second move raises the sequence again; the booking is found by its code as before.
        let again = try store.moveByOperator(
            code: booked.code, to: slot.start + 3_600, capacity: 1, now: now + 120, actor: "operator:anna",
            address: "10.0.0.2")
        #expect(again.value.sequence == 2)
        let found = try store.booking(code: booked.code, codiceFiscale: mario.codiceFiscale)
        #expect(found?.slot.start == slot.start + 3_600)
        let operatorAudit = try store.database.auditEntries(since: 0, actor: "operator:anna", limit: 50)
        #expect(operatorAudit.map(\.action) == ["move"])
    }

    @Test func aTakenPlaceRefusesTheMoveAndChangesNothing() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let booked = try book(store)
        let other = PersonDetails(
            givenName: "Anna", familyName: "Bianchi", codiceFiscale: "BNCNNA80A41H501U", email: "anna@example.it",
            phone: "+393339876543")
        _ = try book(store, at: later, person: other)
        #expect(throws: BookingError.slotFull) {
            try store.move(
                code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1, now: now + 60,
                clientIP: "t", messages: mail)
        }
        // A live hold and an operator block take a place as they do for a new booking.
        let third = SlotRef(serviceID: slot.serviceID, start: slot.start + 3_600)
        _ = try store.placeHold(slot: third, capacity: 1, now: now, expiresAt: now + 600, clientIP: "u")
        #expect(throws: BookingError.slotFull) {
            try store.move(
                code: booked.code, codiceFiscale: mario.codiceFiscale, to: third.start, capacity: 1, now: now + 60,
                clientIP: "t")
        }
        _ = try store.addBlock(
            serviceID: slot.serviceID, startsAt: slot.start + 7_200, endsAt: slot.start + 9_000, desks: 1,
            reason: nil, cancelAffected: false, now: now, actor: "operator", address: "t")
        #expect(throws: BookingError.slotFull) {
            try store.moveByOperator(
                code: booked.code, to: slot.start + 7_200, capacity: 1, now: now + 60, actor: "operator", address: "t")
        }
        let unchanged = try #require(try store.booking(code: booked.code))
        #expect(unchanged.slot == slot && unchanged.sequence == 0)
        #expect(try Outbox(database: store.database).list().filter { $0.kind == .moved }.isEmpty)
        // With room for two, the same place is free for the move.
        #expect(
            try store.move(
                code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 2, now: now + 60,
                clientIP: "t"
            ).value.slot == later)
    }

    @Test func onlyAnActiveBookingMovesAndOnlyForWhoMayActOnIt() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let booked = try book(store)
        #expect(throws: BookingError.bookingNotFound) {
            try store.move(
                code: booked.code, codiceFiscale: "BNCNNA80A41H501U", to: later.start, capacity: 1, now: now,
                clientIP: "t")
        }
        #expect(throws: BookingError.bookingNotFound) {
            try store.move(
                code: booked.code, viewer: .certified(codiceFiscale: "BNCNNA80A41H501U"), to: later.start,
                capacity: 1, now: now, clientIP: "t")
        }
        #expect(
            try store.move(
                code: booked.code, viewer: .certified(codiceFiscale: mario.codiceFiscale), to: later.start,
                capacity: 1, now: now, clientIP: "t"
            ).value.slot == later)
        // Started: no longer movable.
        #expect(throws: BookingError.bookingNotMovable) {
            try store.move(
                code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start + 3_600, capacity: 1,
                now: later.start, clientIP: "t")
        }
        _ = try store.cancel(code: booked.code, codiceFiscale: mario.codiceFiscale, now: now + 10, clientIP: "t")
        #expect(throws: BookingError.bookingNotMovable) {
            try store.moveByOperator(
                code: booked.code, to: slot.start, capacity: 1, now: now + 20, actor: "operator", address: "t")
        }
    }

    @Test func theSameFormSentTwiceMovesAndTellsOnce() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let booked = try book(store)
        let first = try store.move(
            code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1, now: now,
            clientIP: "t", messages: mail)
        let second = try store.move(
            code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1, now: now + 1,
            clientIP: "t", messages: mail)
        #expect(second.value == first.value)
        #expect(second.change == .none)
        #expect(try Outbox(database: store.database).list().filter { $0.kind == .moved }.count == 2)
    }

    /// A person at the per-person limit can move (the booking is still one), and after the move is still at it.
    @Test func thePerPersonLimitCountsAMovedBookingOnce() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let policy = BookingPolicy(maxActiveBookingsPerPerson: 1)
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "t").value
        let booked = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t", policy: policy
        ).value
        _ = try store.move(
            code: booked.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1, now: now,
            clientIP: "t")
        let another = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "t").value
        #expect(throws: BookingError.personLimitReached) {
            try store.confirm(
                holdToken: another.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t",
                policy: policy)
        }
    }

    /// A booking reminded of, then moved to another day, is reminded of its new time once more.
    @Test func aMovedBookingIsRemindedOfItsNewTime() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let outbox = Outbox(database: store.database)
        let booked = try book(store)
        let dayBefore = slot.start - 20 * 3_600
        #expect(try outbox.queueReminders(now: dayBefore, hoursBefore: 24, email: true, sms: false) == 1)
        #expect(try outbox.queueReminders(now: dayBefore + 60, hoursBefore: 24, email: true, sms: false) == 0)
        let nextDay = slot.start + 86_400
        _ = try store.moveByOperator(
            code: booked.code, to: nextDay, capacity: 1, now: dayBefore + 120, actor: "operator", address: "t")
        #expect(try outbox.queueReminders(now: dayBefore + 180, hoursBefore: 24, email: true, sms: false) == 0)
        #expect(try outbox.queueReminders(now: nextDay - 20 * 3_600, hoursBefore: 24, email: true, sms: false) == 1)
        #expect(try outbox.queueReminders(now: nextDay - 19 * 3_600, hoursBefore: 24, email: true, sms: false) == 0)
    }

    @Test func anOfficeAddressGetsOneMailPerNewMovedAndCancelledBooking() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        var policy = MessagePolicy(email: true, sms: false)
        policy.officeRecipients = [slot.serviceID: "anagrafe@comune.example.it"]
        policy.officeLanguage = "it"
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "t").value
        let booked = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t",
            policy: BookingPolicy(messages: policy), language: "en")
        #expect(booked.change.messagesQueued == 2)
        _ = try store.move(
            code: booked.value.code, codiceFiscale: mario.codiceFiscale, to: later.start, capacity: 1, now: now,
            clientIP: "t", messages: policy)
        _ = try store.cancel(
            code: booked.value.code, codiceFiscale: mario.codiceFiscale, now: now, clientIP: "t", messages: policy)
        let office = try Outbox(database: store.database).list().filter { $0.kind == .office }
        #expect(office.map { $0.payload["event"] ?? "" }.sorted() == ["cancelled", "confirmed", "moved"])
        #expect(office.allSatisfy { $0.recipient == "anagrafe@comune.example.it" && $0.channel == .email })
        #expect(office.allSatisfy { $0.language == "it" && $0.bookingID == booked.value.id })
        // Other services, and a comune with mail off, tell no office.
        var silent = policy
        silent.email = false
        #expect(silent.officeRecipient(serviceID: slot.serviceID) == nil)
        #expect(policy.officeRecipient(serviceID: "altro") == nil)
    }

    /// Many threads move different bookings into the one place left: exactly one succeeds, the others are
    /// refused and keep their time.
    @Test func concurrentMovesIntoTheLastPlaceTakeItOnce() throws {
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        var bookings: [Booking] = []
        for index in 0..<12 {
            let target = SlotRef(serviceID: slot.serviceID, start: slot.start + 3_600 * Int64(index + 2))
            bookings.append(try book(store, at: target))
        }
        let results = Mutex<[BookingError?]>([])
        let all = bookings
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for booking in all {
            group.enter()
            Thread {
                start.wait()
                var refusal: BookingError?
                do throws(BookingError) {
                    _ = try store.moveByOperator(
                        code: booking.code, to: later.start, capacity: 1, now: now, actor: "operator", address: "t")
                } catch {
                    refusal = error
                }
                results.withLock { [refusal] in $0.append(refusal) }
                group.leave()
            }.start()
        }
        for _ in all { start.signal() }
        group.wait()
        #expect(results.withLock { $0.filter { $0 == nil }.count } == 1)
        #expect(results.withLock { $0.filter { $0 == .slotFull }.count } == all.count - 1)
        #expect(try occupying(store, later) == 1)
        let after = try all.compactMap { try store.booking(code: $0.code) }
        #expect(after.filter { $0.slot == later }.count == 1)
        #expect(after.filter { $0.slot != later && $0.sequence == 0 }.count == all.count - 1)
    }
}
