import Dispatch
import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloStore

/// The budgets of one client: live holds per address and browser, daily counts, messages per recipient.
@Suite struct LimitTests {
    func withStore(_ body: (BookingStore) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        try body(BookingStore(database: try Database(path: path)))
    }

    func slot(_ index: Int) -> SlotRef {
        SlotRef(serviceID: "stato-civile", start: 1_800_000_000 + Int64(index) * 1_200)
    }

    @Test func oneAddressHoldsAtMostItsCapAndIsToldWhenTheFirstRunsOut() throws {
        try withStore { (store: BookingStore) throws in
            let client = HoldClient(key: "203.0.113.9", session: nil, limit: 2)
            let first = try store.placeHold(
                slot: slot(0), capacity: 1, now: now, expiresAt: now + 600, clientIP: "203.0.113.9", client: client
            ).value
            _ = try store.placeHold(
                slot: slot(1), capacity: 1, now: now + 30, expiresAt: now + 630, clientIP: "203.0.113.9", client: client
            ).value
            #expect(throws: BookingError.tooManyHolds(until: now + 600)) {
                try store.placeHold(
                    slot: slot(2), capacity: 1, now: now + 60, expiresAt: now + 660, clientIP: "203.0.113.9",
                    client: client
                ).value
            }
            // The refusal took nothing: the slot is still free for someone else.
            let other = HoldClient(key: "198.51.100.1", session: nil, limit: 2)
            _ = try store.placeHold(
                slot: slot(2), capacity: 1, now: now + 60, expiresAt: now + 660, clientIP: "198.51.100.1", client: other
            ).value
            // Giving one back, or one running out, makes room again.
            try store.releaseHold(token: first.token, now: now + 90, clientIP: "203.0.113.9")
            _ = try store.placeHold(
                slot: slot(3), capacity: 1, now: now + 90, expiresAt: now + 690, clientIP: "203.0.113.9", client: client
            ).value
            #expect(throws: BookingError.tooManyHolds(until: now + 630)) {
                try store.placeHold(
                    slot: slot(4), capacity: 1, now: now + 100, expiresAt: now + 700, clientIP: "203.0.113.9",
                    client: client
                ).value
            }
            _ = try store.placeHold(
                slot: slot(4), capacity: 1, now: now + 631, expiresAt: now + 1_231, clientIP: "203.0.113.9",
                client: client
            ).value
            // A confirmed hold no longer counts as live.
            let uncapped = HoldClient(key: "192.0.2.1", session: nil, limit: 0)
            for index in 10..<20 {
                _ = try store.placeHold(
                    slot: slot(index), capacity: 1, now: now, expiresAt: now + 600, clientIP: "192.0.2.1",
                    client: uncapped
                ).value
            }
        }
    }

    @Test func manyConcurrentHoldsFromOneAddressNeverPassTheCap() throws {
        try withStore { (store: BookingStore) throws in
            let placed = Atomic<Int>(0)
            let refused = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 40) { index in
                let client = HoldClient(key: "2001:db8:1:2::/64", session: nil, limit: 2)
                do {
                    _ = try store.placeHold(
                        slot: slot(index), capacity: 1, now: now, expiresAt: now + 600,
                        clientIP: "2001:db8:1:2::\(index)",
                        client: client
                    ).value
                    placed.add(1, ordering: .relaxed)
                } catch {
                    if case BookingError.tooManyHolds = error { refused.add(1, ordering: .relaxed) }
                }
            }
            #expect(placed.load(ordering: .relaxed) == 2)
            #expect(refused.load(ordering: .relaxed) == 38)
            #expect(try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM holds") } == 2)
        }
    }

    @Test func aBrowsersNewHoldGivesBackItsPreviousOneUnlessItFails() throws {
        try withStore { (store: BookingStore) throws in
            let browser = HoldClient(key: "203.0.113.9", session: "s1", limit: 2)
            let first = try store.placeHold(
                slot: slot(0), capacity: 1, now: now, expiresAt: now + 600, clientIP: "203.0.113.9", client: browser)
            #expect(first.change.slots == [slot(0)])  // nothing given back: only its own slot changed
            let second = try store.placeHold(
                slot: slot(1), capacity: 1, now: now + 10, expiresAt: now + 610, clientIP: "203.0.113.9",
                client: browser)
            #expect(second.change.slots == [slot(0), slot(1)])
            #expect(try store.hold(token: first.value.token)?.released == true)
            // The same browser can go on changing its mind without ever reaching the address's cap.
            for index in 2..<10 {
                _ = try store.placeHold(
                    slot: slot(index), capacity: 1, now: now + 20, expiresAt: now + 620, clientIP: "203.0.113.9",
                    client: browser
                ).value
            }
            #expect(
                try store.database.read {
                    try $0.scalarInt(
                        "SELECT COUNT(*) FROM holds WHERE released = 0 AND booking_id IS NULL AND expires_at > ?",
                        .int(now + 20))
                } == 1)
            // A slot someone else holds: the refusal leaves the browser its current hold.
            _ = try store.placeHold(
                slot: slot(20), capacity: 1, now: now + 30, expiresAt: now + 630, clientIP: "198.51.100.1", client: nil
            ).value
            #expect(throws: BookingError.slotFull) {
                try store.placeHold(
                    slot: slot(20), capacity: 1, now: now + 30, expiresAt: now + 630, clientIP: "203.0.113.9",
                    client: browser
                ).value
            }
            #expect(
                try store.database.read {
                    try $0.scalarInt("SELECT released FROM holds WHERE slot_start = ?", .int(slot(9).start))
                } == 0)
        }
    }

    @Test func dailyCapsCountUntilLocalMidnightAndForgetYesterday() throws {
        try withStore { (store: BookingStore) throws in
            // 2026-12-01 10:00 in Rome; the budget opens again at 2026-12-02 00:00 Rome (23:00 UTC).
            let morning = RomeTime.instant(date: CivilDate(year: 2026, month: 12, day: 1)!, minutes: 600)!
            let midnight = RomeTime.instant(date: CivilDate(year: 2026, month: 12, day: 2)!, minutes: 0)!
            let caps = [
                DailyCap("register:address:203.0.113.9", limit: 3), DailyCap("register:contact:a@b.it", limit: 2),
            ]
            try store.takeDaily(caps, now: morning)
            try store.takeDaily(caps, now: morning + 60)
            #expect(throws: BookingError.dailyLimitReached(until: midnight)) {
                try store.takeDaily(caps, now: morning + 120)
            }
            // A refusal counts nothing: another contact from the same address still has one left.
            try store.takeDaily(
                [DailyCap("register:address:203.0.113.9", limit: 3), DailyCap("register:contact:c@d.it", limit: 2)],
                now: morning)
            #expect(throws: BookingError.dailyLimitReached(until: midnight)) {
                try store.takeDaily([DailyCap("register:address:203.0.113.9", limit: 3)], now: morning)
            }
            // 0 is no cap, and counts nothing.
            for _ in 0..<5 { try store.takeDaily([DailyCap("register:address:192.0.2.1", limit: 0)], now: morning) }
            // The next day starts from zero, and yesterday's counts (they hold contacts) are gone.
            try store.takeDaily(caps, now: midnight)
            #expect(
                try store.database.read {
                    try $0.scalarInt("SELECT COUNT(*) FROM usage WHERE day < ?", .int(Usage.day(of: midnight).day))
                } == 0)
            #expect(
                try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM usage WHERE key LIKE '%192.0.2.1%'") }
                    == 0)
        }
    }

    @Test func aSpentBookingBudgetRefusesTheConfirmationAndKeepsNothing() throws {
        try withStore { (store: BookingStore) throws in
            let caps = [DailyCap("book:contact:mario@example.it", limit: 1)]
            var codes: [String] = []
            for index in 0..<2 {
                let hold = try store.placeHold(
                    slot: slot(index), capacity: 1, now: now, expiresAt: now + 600, clientIP: "t"
                ).value
                do {
                    codes.append(
                        try store.confirm(
                            holdToken: hold.token, person: mario, slotEnd: slot(index).start + 1_200, now: now,
                            clientIP: "t",
                            caps: caps
                        ).value.code)
                } catch {
                    #expect(index == 1)
                    #expect(error as? BookingError == .dailyLimitReached(until: Usage.day(of: now).ends))
                }
            }
            #expect(codes.count == 1)
            #expect(try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings") } == 1)
        }
    }

    @Test func smsGoesOnlyToListedCountriesAndEveryRecipientHasADailyCap() throws {
        try withStore { (store: BookingStore) throws in
            var limits = LimitSettings()
            limits.smsPerRecipientPerDay = 2
            limits.mailPerRecipientPerDay = 3
            func queue(_ channel: NotificationChannel, _ recipient: String, _ limits: LimitSettings) throws {
                _ = try store.database.write { connection in
                    try Outbox.enqueue(
                        connection, kind: .credentials, channel: channel, recipient: recipient, bookingID: nil,
                        language: "it",
                        at: now, limits: limits)
                }
            }
            func queued(_ recipient: String) throws -> Int64 {
                try store.database.read {
                    try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE recipient = ?", .text(recipient))
                }
            }
            for number in ["+8823123456789", "+88234567890", "+390612345678", "+447700900123", "+393331234567"] {
                try queue(.sms, number, limits)
            }
            #expect(try queued("+393331234567") == 1)
            for number in ["+8823123456789", "+88234567890", "+390612345678", "+447700900123"] {
                #expect(try queued(number) == 0)
            }
            #expect(
                try store.database.read {
                    try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE action = 'message.refused'")
                } == 4)
            // The cap per number and per mailbox (whatever the case).
            for _ in 0..<3 { try queue(.sms, "+393331234567", limits) }
            #expect(try queued("+393331234567") == 2)
            for address in ["mario@example.it", "Mario@Example.it", "MARIO@example.it", "mario@example.it"] {
                try queue(.email, address, limits)
            }
            #expect(
                try store.database.read {
                    try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE lower(recipient) = 'mario@example.it'")
                } == 3)
            // Another country when the comune lists it.
            limits.smsCountryCodes = ["39", "44"]
            try queue(.sms, "+447700900123", limits)
            #expect(try queued("+447700900123") == 1)
            #expect(
                !limits.smsAllowed(to: "3331234567") && !limits.smsAllowed(to: "+4")
                    && limits.smsAllowed(to: "+393401234567"))
        }
    }
}
