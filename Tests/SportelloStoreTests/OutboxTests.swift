import Dispatch
import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloStore

/// The transactional outbox on a database of its own: queued with the change, claimed under a lease,
/// delivered once, retried with backoff, given up on.
@Suite struct OutboxTests {
    let start: Int64 = 1_800_000_000

    func withOutbox(_ body: (Database, Outbox) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        try body(database, Outbox(database: database))
    }

    func queue(
        _ database: Database, kind: NotificationKind = .confirmed, recipient: String = "anna@example.it", at now: Int64,
        dedupeKey: String? = nil, payload: [String: String] = [:]
    ) throws {
        _ = try database.write {
            try Outbox.enqueue(
                $0, kind: kind, channel: .email, recipient: recipient, bookingID: nil, language: "it",
                payload: payload, at: now, dedupeKey: dedupeKey)
        }
    }

    @Test func aMessageIsQueuedOnlyWithTheChangeThatCausesIt() throws {
        try withOutbox { database, outbox in
            struct Refused: Error {}
            #expect(throws: Refused.self) {
                try database.write { connection in
                    try Outbox.enqueue(
                        connection, kind: .confirmed, channel: .email, recipient: "anna@example.it",
                        bookingID: nil, language: "it", at: start)
                    throw Refused()
                }
            }
            #expect(try outbox.list().isEmpty)
            try queue(database, at: start, payload: ["code": "ABCD2345"])
            let message = try #require(try outbox.list().first)
            #expect(message.kind == .confirmed && message.recipient == "anna@example.it")
            #expect(message.payload == ["code": "ABCD2345"])
            #expect(message.attempts == 0 && message.sentAt == nil && !message.dead && message.claimedUntil == nil)
        }
    }

    @Test func aDedupeKeyQueuesOnce() throws {
        try withOutbox { database, outbox in
            for _ in 0..<3 { try queue(database, kind: .reminder, at: start, dedupeKey: "reminder:1:email") }
            try queue(database, kind: .reminder, at: start, dedupeKey: "reminder:2:email")
            #expect(try outbox.list().count == 2)
        }
    }

    @Test func claimsTakeDueMessagesInOrderUnderALease() throws {
        try withOutbox { database, outbox in
            try queue(database, recipient: "a@example.it", at: start)
            try queue(database, recipient: "b@example.it", at: start + 1)
            try queue(database, recipient: "later@example.it", at: start + 3_600)  // not due yet
            let first = try #require(try outbox.claimDue(now: start + 10, lease: 60, worker: 7, limit: 1).first)
            #expect(first.recipient == "a@example.it" && first.claimedUntil == start + 70 && first.claimedBy == 7)
            let both = try outbox.claimDue(now: start + 10, lease: 60, worker: 8, limit: 5)
            #expect(both.map(\.recipient) == ["b@example.it"])  // the claimed one is not handed out twice
            #expect(try outbox.claimDue(now: start + 10, lease: 60, worker: 9, limit: 1).first == nil)
            #expect(try outbox.unfinishedClaims().map(\.recipient) == ["a@example.it", "b@example.it"])
            // A lease runs to its last second: at `claimed_until` the message is still its worker's.
            #expect(try outbox.claimDue(now: start + 70, lease: 60, worker: 9, limit: 1).first == nil)
            let taken = try #require(try outbox.claimDue(now: start + 71, lease: 60, worker: 9, limit: 1).first)
            #expect(taken.recipient == "a@example.it" && taken.claimedBy == 9)
        }
    }

    @Test func anExtendedClaimIsKeptAndAReleasedOneIsFreeAtOnceWithoutCountingAnAttempt() throws {
        try withOutbox { database, outbox in
            try queue(database, at: start)
            let message = try #require(try outbox.claimDue(now: start, lease: 60, worker: 1, limit: 1).first)
            try outbox.extendClaim(id: message.id, until: start + 600)
            #expect(try outbox.claimDue(now: start + 300, lease: 60, worker: 2, limit: 1).first == nil)
            try outbox.handedOff(id: message.id, to: 4242)
            #expect(try outbox.unfinishedClaims().first?.deliveryPID == 4242)
            try outbox.release(id: message.id)
            let again = try #require(try outbox.claimDue(now: start + 300, lease: 60, worker: 2, limit: 1).first)
            #expect(again.id == message.id && again.attempts == 0 && again.deliveryPID == nil)
        }
    }

    @Test func aDeliveredMessageIsMarkedOnceAndNeverClaimedAgain() throws {
        try withOutbox { database, outbox in
            try queue(database, kind: .credentials, at: start, payload: ["password": "s3cretPassw0rd"])
            let message = try #require(try outbox.claimDue(now: start, lease: 60, worker: 1, limit: 1).first)
            try outbox.markSent(id: message.id, now: start + 5)
            try outbox.markSent(id: message.id, now: start + 99)  // a second report changes nothing
            // A failure reported after delivery is ignored too.
            try outbox.markFailed(id: message.id, now: start + 100, error: "late", maxAttempts: 3)
            let sent = try #require(try outbox.list().first)
            // The delivering attempt counts, once (the listing said "attempts 0" for every sent message).
            #expect(sent.sentAt == start + 5 && sent.attempts == 1 && sent.claimedUntil == nil && sent.lastError == nil)
            #expect(sent.payload.isEmpty)  // credentials do not outlive their delivery
            #expect(try outbox.claimDue(now: start + 10_000, lease: 60, worker: 1, limit: 1).first == nil)
            #expect(try outbox.unfinishedClaims().isEmpty)
            #expect(try outbox.state(now: start + 10_000) == OutboxState(backlog: 0, dead: 0, oldestDueSeconds: 0))
        }
    }

    /// Issue 16: the worker marks what was delivered since its last claim in the transaction of its next claim (one
    /// commit per round instead of one per message), with the same effect as `markSent` one by one.
    @Test func theNextClaimMarksTheDeliveredMessagesSentInTheSameTransaction() throws {
        try withOutbox { database, outbox in
            for index in 0..<4 { try queue(database, recipient: "r\(index)@example.it", at: start + Int64(index)) }
            let first = try outbox.claimDue(now: start + 10, lease: 60, worker: 1, limit: 2)
            #expect(first.count == 2)
            let next = try outbox.claimDue(
                now: start + 20, lease: 60, worker: 1, limit: 2, markingSent: first.map(\.id))
            #expect(next.map(\.recipient) == ["r2@example.it", "r3@example.it"])
            let rows = try outbox.list()
            for message in first {
                let row = try #require(rows.first { $0.id == message.id })
                #expect(row.sentAt == start + 20 && row.attempts == 1 && row.claimedUntil == nil)
            }
            #expect(try outbox.unfinishedClaims().map(\.recipient) == ["r2@example.it", "r3@example.it"])
            try outbox.markSent(ids: next.map(\.id), now: start + 30)
            #expect(try outbox.unfinishedClaims().isEmpty)
            #expect(try outbox.list().allSatisfy { $0.sentAt != nil && $0.attempts == 1 })
            // Marking again changes nothing.
            try outbox.markSent(ids: next.map(\.id), now: start + 99)
            #expect(try outbox.list().filter { $0.sentAt == start + 99 }.isEmpty)
        }
    }

    @Test func aMessageSentAtItsSecondAttemptListsTwoAttempts() throws {
        try withOutbox { database, outbox in
            try queue(database, kind: .confirmed, at: start)
            let first = try #require(try outbox.claimDue(now: start, lease: 60, worker: 1, limit: 1).first)
            try outbox.markFailed(id: first.id, now: start, error: "exit status 75", maxAttempts: 8)
            let second = try #require(try outbox.claimDue(now: start + 60, lease: 60, worker: 1, limit: 1).first)
            try outbox.markSent(id: second.id, now: start + 61)
            let sent = try #require(try outbox.list().first)
            #expect(sent.sentAt == start + 61 && sent.attempts == 2)
        }
    }

    @Test func failuresBackOffExponentiallyUpToSixHoursThenTheMessageDies() throws {
        #expect(
            (1...12).map { Outbox.retryDelay(afterAttempt: $0) }
                == [60, 120, 240, 480, 960, 1_920, 3_840, 7_680, 15_360, 21_600, 21_600, 21_600])
        #expect(Outbox.retryDelay(afterAttempt: 0) == 60 && Outbox.retryDelay(afterAttempt: 1_000) == 21_600)
        try withOutbox { database, outbox in
            try queue(database, kind: .credentials, at: start, payload: ["password": "s3cretPassw0rd"])
            var now = start
            for attempt in 1...4 {
                let message = try #require(
                    try outbox.claimDue(now: now, lease: 60, worker: 1, limit: 1).first, "attempt \(attempt)")
                #expect(message.attempts == attempt - 1)
                let dead = try outbox.markFailed(id: message.id, now: now, error: "exit status 75", maxAttempts: 4)
                #expect(dead == (attempt == 4))
                let delay = Outbox.retryDelay(afterAttempt: Int64(attempt))
                if !dead {
                    // Not before its retry instant, then at once.
                    #expect(try outbox.claimDue(now: now + delay - 1, lease: 60, worker: 1, limit: 1).first == nil)
                    #expect(try outbox.list().first?.payload == ["password": "s3cretPassw0rd"])
                }
                now += delay
            }
            let dead = try #require(try outbox.list().first)
            #expect(dead.dead && dead.attempts == 4 && dead.lastError == "exit status 75" && dead.sentAt == nil)
            #expect(dead.payload.isEmpty)  // a dead credentials message keeps no password
            #expect(try outbox.claimDue(now: now + 86_400, lease: 60, worker: 1, limit: 1).first == nil)
            #expect(try outbox.state(now: now) == OutboxState(backlog: 0, dead: 1, oldestDueSeconds: 0))
        }
    }

    @Test func concurrentWorkersClaimEachMessageExactlyOnce() throws {
        try withOutbox { database, outbox in
            for index in 0..<60 { try queue(database, recipient: "p\(index)@example.it", at: start) }
            let claimed = Mutex<[Int64]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { worker in
                while let batch = try? outbox.claimDue(now: start, lease: 300, worker: Int32(worker), limit: 3),
                    !batch.isEmpty
                {
                    for message in batch { try? outbox.markSent(id: message.id, now: start + 1) }
                    claimed.withLock { $0 += batch.map(\.id) }
                }
            }
            let ids = claimed.withLock { $0 }
            #expect(ids.count == 60 && Set(ids).count == 60)
            #expect(try outbox.list().allSatisfy { $0.sentAt == start + 1 })
        }
    }

    @Test func remindersAreQueuedOncePerBookingAndChannelForBookingsStillBooked() throws {
        try withOutbox { database, outbox in
            let store = BookingStore(database: database)
            let hour: Int64 = 3_600
            func book(_ start: Int64, madeAt: Int64, person: PersonDetails = mario) throws -> Booking {
                let hold = try store.placeHold(
                    slot: SlotRef(serviceID: "anagrafe", start: start), capacity: 5,
                    now: madeAt, expiresAt: madeAt + 600, clientIP: "t")
                return try store.confirm(
                    holdToken: hold.value.token, person: person, slotEnd: start + 1_200,
                    now: madeAt, clientIP: "t"
                ).value
            }
            let now = start
            let tomorrow = try book(now + 20 * hour, madeAt: now - 72 * hour)
            _ = try book(now + 30 * hour, madeAt: now - 72 * hour)  // beyond the 24 hours
            _ = try book(now + 10 * hour, madeAt: now - 1 * hour)  // made inside the window: none
            let cancelled = try book(now + 5 * hour, madeAt: now - 72 * hour)
            _ = try store.cancel(
                code: cancelled.code, codiceFiscale: mario.codiceFiscale, now: now - hour,
                clientIP: "t")
            var noPhone = mario
            noPhone.phone = ""
            let mailOnly = try book(now + 2 * hour, madeAt: now - 72 * hour, person: noPhone)
            #expect(try outbox.queueReminders(now: now, hoursBefore: 24, email: true, sms: true) == 3)
            #expect(try outbox.queueReminders(now: now + hour, hoursBefore: 24, email: true, sms: true) == 0)
            let reminders = try outbox.list().filter { $0.kind == .reminder }
            #expect(
                Set(reminders.map { "\($0.bookingID ?? 0):\($0.channel)" })
                    == ["\(tomorrow.id):email", "\(tomorrow.id):sms", "\(mailOnly.id):email"])
        }
    }
}
