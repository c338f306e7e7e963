import Dispatch
import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloStore

/// Requests of services that need approval (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): a pending request keeps its
/// slot; confirming, refusing and expiring are each one transaction that only acts on a request still pending.
@Suite struct ApprovalStoreTests {
    let approval = ApprovalSettings(required: true, expiresHoursBefore: 24)
    let mail = MessagePolicy(email: true, sms: false)

    func withStore(_ body: (Database, BookingStore) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        try body(database, BookingStore(database: database))
    }

    func request(_ store: BookingStore, at start: Int64 = slot.start, capacity: Int = 1) throws -> Booking {
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: slot.serviceID, start: start), capacity: capacity, now: now,
            expiresAt: now + 600, clientIP: "t")
        return try store.confirm(
            holdToken: hold.value.token, person: mario, slotEnd: start + 1_200, now: now, clientIP: "t",
            policy: BookingPolicy(messages: mail), approval: approval
        ).value
    }

    /// The first column of every row `sql` selects, in order.
    func texts(_ database: Database, _ sql: String, _ argument: SQLValue) throws -> [String] {
        try database.read { connection in
            var texts: [String] = []
            try connection.forEach(sql, argument) { texts.append($0.text(0)) }
            return texts
        }
    }

    /// The kinds of the messages queued about `booking`, in order.
    func kinds(_ database: Database, _ booking: Booking) throws -> [String] {
        try texts(database, "SELECT kind FROM outbox WHERE booking_id = ? ORDER BY id", .int(booking.id))
    }

    /// The audit actions on `booking`, in order.
    func auditActions(_ database: Database, _ booking: Booking) throws -> [String] {
        try texts(database, "SELECT action FROM audit WHERE subject = ? ORDER BY id", .text(booking.code))
    }

    @Test func aPendingRequestOccupiesItsSlotAndSaysRequestReceived() throws {
        try withStore { database, store in
            let pending = try request(store)
            #expect(pending.state == .pending)
            // A request is an upcoming appointment for the configuration check (a slot no longer offered strands it).
            #expect(try store.upcomingBookings(from: now).map(\.code) == [pending.code])
            #expect(try kinds(database, pending) == ["requested"])
            #expect(try auditActions(database, pending) == ["request"])
            let occupancy = try store.occupancy(
                serviceID: slot.serviceID, from: slot.start, to: slot.start + 1, now: now)
            #expect(occupancy[slot.serviceID]?[slot.start]?.booked == 1)
            // The slot is taken: nobody else can hold it while the office decides.
            #expect(throws: BookingError.slotFull) {
                try store.placeHold(slot: slot, capacity: 1, now: now + 1, expiresAt: now + 601, clientIP: "u")
            }
            // A service without approval books at once, as before.
            let hold = try store.placeHold(
                slot: SlotRef(serviceID: slot.serviceID, start: slot.start + 3_600), capacity: 1, now: now,
                expiresAt: now + 600, clientIP: "t")
            let booked = try store.confirm(
                holdToken: hold.value.token, person: mario, slotEnd: slot.start + 4_800, now: now, clientIP: "t",
                policy: BookingPolicy(messages: mail), approval: ApprovalSettings(required: false))
            #expect(booked.value.state == .booked)
            #expect(try kinds(database, booked.value) == ["confirmed"])
        }
    }

    @Test func approvingBooksItOnceAndTellsTheCitizen() throws {
        try withStore { database, store in
            let pending = try request(store)
            let approved = try store.approve(
                code: pending.code.lowercased(), now: now + 60, actor: "operator:1", address: "a", messages: mail)
            #expect(approved.value.state == .booked)
            #expect(approved.change.slots == [pending.slot] && approved.change.messagesQueued == 1)
            #expect(try kinds(database, pending) == ["requested", "approved"])
            #expect(try auditActions(database, pending) == ["request", "approval.confirm"])
            // A second answer finds it answered and changes nothing.
            #expect(throws: BookingError.requestNotPending) {
                try store.approve(code: pending.code, now: now + 61, actor: "operator:2", address: "a")
            }
            #expect(throws: BookingError.requestNotPending) {
                try store.refuse(code: pending.code, reason: "no", now: now + 61, actor: "operator:2", address: "a")
            }
            #expect(throws: BookingError.bookingNotFound) {
                try store.approve(code: "NOPE0000", now: now + 61, actor: "operator:2", address: "a")
            }
            #expect(try store.booking(id: pending.id)?.state == .booked)
            #expect(try kinds(database, pending) == ["requested", "approved"])
        }
    }

    @Test func refusingFreesTheSlotWithTheReasonBounded() throws {
        try withStore { database, store in
            let pending = try request(store)
            let reason = String(repeating: "r", count: BookingStore.refusalReasonLimit + 50)
            let refused = try store.refuse(
                code: pending.code, reason: reason, now: now + 60, actor: "operator:1", address: "a", messages: mail)
            #expect(refused.value.state == .cancelledByOperator)
            #expect(refused.value.cancelReason?.count == BookingStore.refusalReasonLimit)
            #expect(try kinds(database, pending) == ["requested", "refused"])
            let payload = try database.read { connection in
                try connection.first("SELECT payload FROM outbox WHERE kind = 'refused'") { $0.text(0) }
            }
            #expect(payload?.contains(String(repeating: "r", count: 20)) == true)
            // The slot is free again.
            _ = try store.placeHold(slot: slot, capacity: 1, now: now + 61, expiresAt: now + 661, clientIP: "u")
        }
    }

    @Test func theOfficeIsToldOfRequestsAndExpiriesNotOfItsOwnAnswers() throws {
        try withStore { database, store in
            var office = mail
            office.officeRecipients = [slot.serviceID: "anagrafe@comune.example.it"]
            let hold = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "t")
            let approved = try store.confirm(
                holdToken: hold.value.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "t",
                policy: BookingPolicy(messages: office), approval: approval
            ).value
            _ = try store.approve(
                code: approved.code, now: now + 60, actor: "operator:1", address: "a", messages: office)
            let second = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "u")
            let refused = try store.confirm(
                holdToken: second.value.token, person: mario, slotEnd: slot.start + 1_200, now: now, clientIP: "u",
                policy: BookingPolicy(messages: office), approval: approval
            ).value
            _ = try store.refuse(
                code: refused.code, reason: "documenti mancanti", now: now + 60, actor: "operator:1", address: "a",
                messages: office)
            let events = try texts(
                database,
                "SELECT json_extract(payload, '$.event') FROM outbox WHERE kind = 'office' AND recipient = ? ORDER BY id",
                .text("anagrafe@comune.example.it"))
            // Each request is news to the office; its own confirmation and refusal are not.
            #expect(events == ["requested", "requested"])
            #expect(try kinds(database, approved) == ["requested", "office", "approved"])
        }
    }

    @Test func anUnansweredRequestExpiresAtItsSecondAndOnlyThen() throws {
        try withStore { database, store in
            let pending = try request(store)
            let other = try request(store, at: slot.start + 3 * 86_400)
            let expiresAt = approval.expiresAt(slotStart: slot.start)
            let early = try store.expireRequests(
                approvals: [slot.serviceID: approval], now: expiresAt - 1, messages: mail)
            #expect(early.value.isEmpty && early.change.slots.isEmpty)
            let due = try store.expireRequests(approvals: [slot.serviceID: approval], now: expiresAt, messages: mail)
            #expect(due.value.map(\.code) == [pending.code])
            #expect(due.value.first?.state == .cancelledByOperator)
            #expect(due.change.slots == [pending.slot] && due.change.messagesQueued == 1)
            #expect(try kinds(database, pending) == ["requested", "expired"])
            #expect(try auditActions(database, pending) == ["request", "approval.expire"])
            #expect(try store.booking(id: other.id)?.state == .pending)
            // Running again changes nothing; a late confirmation is refused.
            #expect(try store.expireRequests(approvals: [slot.serviceID: approval], now: expiresAt + 15).value.isEmpty)
            #expect(throws: BookingError.requestNotPending) {
                try store.approve(code: pending.code, now: expiresAt + 20, actor: "operator:1", address: "a")
            }
            // A service that no longer needs approval: its pending requests expire at their start.
            #expect(try store.expireRequests(approvals: [:], now: other.slot.start - 1).value.isEmpty)
            #expect(try store.expireRequests(approvals: [:], now: other.slot.start).value.map(\.code) == [other.code])
        }
    }

    @Test func aPendingRequestCountsTowardThePersonLimitAndGetsNoReminder() throws {
        try withStore { database, store in
            _ = try request(store)
            let hold = try store.placeHold(
                slot: SlotRef(serviceID: slot.serviceID, start: slot.start + 3_600), capacity: 1, now: now,
                expiresAt: now + 600, clientIP: "t")
            #expect(throws: BookingError.personLimitReached) {
                try store.confirm(
                    holdToken: hold.value.token, person: mario, slotEnd: slot.start + 4_800, now: now,
                    clientIP: "t", policy: BookingPolicy(maxActiveBookingsPerPerson: 1), approval: approval)
            }
            let outbox = Outbox(database: database)
            #expect(try outbox.queueReminders(now: slot.start - 3_600, hoursBefore: 24, email: true, sms: true) == 0)
        }
    }

    /// Confirmations from two clerks and the expiry pass, all at the expiry second on threads of their own:
    /// exactly one of them answers each request, and the citizen gets exactly one answer.
    @Test func approveRacingExpiryAnswersEachRequestOnce() throws {
        try withStore { database, store in
            let requests = try (0..<6).map { index in try request(store, at: slot.start + Int64(index) * 3_600) }
            let at = approval.expiresAt(slotStart: slot.start + 5 * 3_600)
            let approvals = Mutex(0)
            let expiries = Mutex(0)
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for thread in 0..<6 {
                group.enter()
                Thread {
                    start.wait()
                    if thread % 3 == 2 {
                        if let expired = try? store.expireRequests(
                            approvals: [slot.serviceID: approval], now: at, messages: mail)
                        {
                            expiries.withLock { $0 += expired.value.count }
                        }
                    } else {
                        for request in requests.shuffled() {
                            if (try? store.approve(
                                code: request.code, now: at - 1, actor: "operator:\(thread)", address: "a",
                                messages: mail)) != nil
                            {
                                approvals.withLock { $0 += 1 }
                            }
                        }
                    }
                    group.leave()
                }.start()
            }
            for _ in 0..<6 { start.signal() }
            group.wait()
            #expect(approvals.withLock { $0 } + expiries.withLock { $0 } == requests.count)
            for request in requests {
                let state = try #require(try store.booking(id: request.id)?.state)
                let answers = try kinds(database, request).filter { $0 != "requested" }
                #expect(answers == [state == .booked ? "approved" : "expired"], "\(request.code) \(state)")
            }
        }
    }
}
