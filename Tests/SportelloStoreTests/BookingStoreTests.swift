import Dispatch
import Foundation
import SportelloCore
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloStore

func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("sportello-store-\(UUID().uuidString)/test.sqlite")
        .path
}

func removeDatabase(_ path: String) {
    TemporaryFolder.removeTree((path as NSString).deletingLastPathComponent)
}

let mario = PersonDetails(
    givenName: "Mario", familyName: "Rossi", codiceFiscale: "RSSMRA85T10A562S", email: "mario@example.it",
    phone: "+393331234567")
let slot = SlotRef(serviceID: "carta-identita", start: 1_800_000_000)
let now: Int64 = 1_799_000_000

@Suite struct DatabaseTests {
    @Test func pragmasMigrationsAndRollback() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        do {
            let database = try Database(path: path)
            let pragmas = try database.write { connection in
                [
                    try connection.first("PRAGMA journal_mode") { $0.text(0) } ?? "",
                    String(try connection.scalarInt("PRAGMA foreign_keys")),
                    String(try connection.scalarInt("PRAGMA synchronous")),
                    String(try connection.scalarInt("PRAGMA busy_timeout")),
                    String(try connection.scalarInt("PRAGMA user_version")),
                ]
            }
            // WAL, foreign keys on, synchronous FULL (2), busy timeout, every migration applied.
            #expect(pragmas == ["wal", "1", "2", "5000", String(Migrations.scripts.count)])
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try database.write { connection in
                    try connection.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'test', 'x')")
                    throw Boom()
                }
            }
            #expect(try database.read { try $0.scalarInt("SELECT COUNT(*) FROM audit") } == 0)
            #expect(throws: DatabaseError.self) {
                try database.write { try $0.execute("SELECT nonsense FROM nowhere") }
            }
        }
        // Reopening applies no migration twice.
        let again = try Database(path: path)
        #expect(try again.read { try $0.scalarInt("PRAGMA user_version") } == Int64(Migrations.scripts.count))
    }

    @Test func holdsCommitWithoutWaitingForTheDiskAndEverythingElseWithFullSync() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        #expect(try database.write(durable: false) { try $0.scalarInt("PRAGMA synchronous") } == 1)  // NORMAL
        #expect(try database.write { try $0.scalarInt("PRAGMA synchronous") } == 2)  // back to FULL
        let store = BookingStore(database: database)
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "s", start: 10_000), capacity: 1, now: 0, expiresAt: 600, clientIP: "t"
        ).value
        #expect(try database.read { try $0.scalarInt("SELECT COUNT(*) FROM holds") } == 1)
        _ = try store.confirm(
            holdToken: hold.token,
            person: PersonDetails(
                givenName: "A", familyName: "B", codiceFiscale: "RSSMRA85T10A562S",
                email: "a@b.it", phone: "3331234567"),
            slotEnd: 10_600, now: 1, clientIP: "t"
        ).value
        #expect(try database.write { try $0.scalarInt("PRAGMA synchronous") } == 2)
        // Both survive closing and reopening.
        let reopened = try Database(path: path)
        #expect(
            try reopened.read {
                try $0.scalarInt("SELECT COUNT(*) FROM holds") + $0.scalarInt("SELECT COUNT(*) FROM bookings")
            } == 2)
    }

    @Test func manyThreadsReadWhileOneWrites() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path, readers: 3)
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            do {
                if index % 4 == 0 {
                    try database.write {
                        try $0.execute(
                            "INSERT INTO audit (at, actor, action) VALUES (?, 'test', 'x')", .int(Int64(index)))
                    }
                } else {
                    // A read transaction sees one snapshot: the count cannot change between its two queries.
                    let same = try database.read {
                        try $0.scalarInt("SELECT COUNT(*) FROM audit") == $0.scalarInt("SELECT COUNT(*) FROM audit")
                    }
                    if !same { failures.withLock { $0 += 1 } }
                }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try database.read { try $0.scalarInt("SELECT COUNT(*) FROM audit") } == 6)
    }

    @Test func cachedStatementsRebindCleanly() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        try database.write { connection in
            for index in 0..<100 {
                try connection.execute(
                    "INSERT INTO audit (at, actor, action, subject) VALUES (?, 'test', 'x', ?)", .int(Int64(index)),
                    index % 2 == 0 ? .null : .text("s\(index)"))
            }
        }
        #expect(try database.read { try $0.scalarInt("SELECT COUNT(subject) FROM audit") } == 50)
        #expect(try database.read { try $0.scalarInt("SELECT SUM(at) FROM audit") } == 4950)
    }
}

@Suite struct BookingStoreTests {
    let path = temporaryDatabasePath()
    let store: BookingStore

    init() throws { store = BookingStore(database: try Database(path: path)) }

    @Test func capacityCountsBookingsActiveHoldsAndBlocks() throws {
        defer { removeDatabase(path) }
        let first = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "1.1.1.1")
            .value
        _ = try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "1.1.1.1").value
        #expect(throws: BookingError.slotFull) {
            try store.placeHold(slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "1.1.1.1").value
        }
        // Expired holds free their desk by themselves.
        _ = try store.placeHold(slot: slot, capacity: 2, now: now + 600, expiresAt: now + 1200, clientIP: "1.1.1.1")
            .value
        // A released hold frees its desk at once.
        try store.releaseHold(token: first.token, now: now + 601, clientIP: "1.1.1.1")
        _ = try store.placeHold(slot: slot, capacity: 2, now: now + 601, expiresAt: now + 1200, clientIP: "1.1.1.1")
            .value
        #expect(throws: BookingError.slotFull) {
            try store.placeHold(slot: slot, capacity: 2, now: now + 602, expiresAt: now + 1200, clientIP: "1.1.1.1")
                .value
        }
        let other = SlotRef(serviceID: "carta-identita", start: slot.start + 1200)
        try store.database.write {
            try $0.execute(
                "INSERT INTO blocks (service_id, starts_at, ends_at, desks, created_at) VALUES (?, ?, ?, 1, 0)",
                .text(other.serviceID), .int(other.start), .int(other.start + 3600))
        }
        _ = try store.placeHold(slot: other, capacity: 2, now: now, expiresAt: now + 600, clientIP: "1.1.1.1").value
        #expect(throws: BookingError.slotFull) {
            try store.placeHold(slot: other, capacity: 2, now: now, expiresAt: now + 600, clientIP: "1.1.1.1").value
        }
    }

    @Test func fiftyConcurrentClientsOnACapacityTwoSlotMakeExactlyTwoBookings() throws {
        defer { removeDatabase(path) }
        let outcomes = Mutex<(booked: [String], full: Int, other: [String])>(([], 0, []))
        DispatchQueue.concurrentPerform(iterations: 50) { index in
            do {
                let hold = try store.placeHold(
                    slot: slot, capacity: 2, now: now, expiresAt: now + 600, clientIP: "10.0.0.\(index)"
                ).value
                let booking = try store.confirm(
                    holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now + 1,
                    clientIP: "10.0.0.\(index)"
                ).value
                outcomes.withLock { $0.booked.append(booking.code) }
            } catch BookingError.slotFull {
                outcomes.withLock { $0.full += 1 }
            } catch {
                outcomes.withLock { $0.other.append("\(error)") }
            }
        }
        let result = outcomes.withLock { $0 }
        #expect(result.booked.count == 2)
        #expect(result.full == 48)
        #expect(result.other.isEmpty)
        #expect(try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings") } == 2)
    }

    @Test func confirmingTwiceReturnsTheSameBooking() throws {
        defer { removeDatabase(path) }
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "1.1.1.1")
            .value
        let first = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now + 10, clientIP: "1.1.1.1"
        ).value
        let second = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now + 900, clientIP: "1.1.1.1"
        ).value
        #expect(first == second)
        #expect(first.code.count == 8 && first.code.allSatisfy { Tokens.codeAlphabet.contains($0) })
        #expect(first.state == .booked)
        #expect(try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings") } == 1)
        #expect(try store.hold(token: hold.token)?.bookingID == first.id)
    }

    @Test func expiredReleasedAndUnknownHoldsCannotBeConfirmed() throws {
        defer { removeDatabase(path) }
        let expired = try store.placeHold(slot: slot, capacity: 3, now: now, expiresAt: now + 600, clientIP: "1.1.1.1")
            .value
        #expect(throws: BookingError.holdExpired) {
            try store.confirm(holdToken: expired.token, person: mario, slotEnd: 0, now: now + 600, clientIP: "").value
        }
        let released = try store.placeHold(slot: slot, capacity: 3, now: now, expiresAt: now + 600, clientIP: "1.1.1.1")
            .value
        try store.releaseHold(token: released.token, now: now + 1, clientIP: "")
        try store.releaseHold(token: released.token, now: now + 2, clientIP: "")
        #expect(throws: BookingError.holdReleased) {
            try store.confirm(holdToken: released.token, person: mario, slotEnd: 0, now: now + 3, clientIP: "").value
        }
        #expect(throws: BookingError.holdNotFound) {
            try store.confirm(holdToken: "nope", person: mario, slotEnd: 0, now: now, clientIP: "").value
        }
        #expect(throws: BookingError.holdNotFound) {
            try store.releaseHold(token: "nope'; DROP TABLE holds; --", now: now, clientIP: "").value
        }
    }

    @Test func cancellingNeedsTheRightCodiceFiscaleAndFreesTheSlot() throws {
        defer { removeDatabase(path) }
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "1.1.1.1")
            .value
        let booking = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now, clientIP: "1.1.1.1"
        ).value
        #expect(throws: BookingError.slotFull) {
            try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "").value
        }
        #expect(throws: BookingError.bookingNotFound) {
            try store.cancel(code: booking.code, codiceFiscale: "VRDGPP80A01H501U", now: now, clientIP: "").value
        }
        #expect(throws: BookingError.bookingNotFound) {
            try store.cancel(code: "ZZZZZZZZ", codiceFiscale: mario.codiceFiscale, now: now, clientIP: "").value
        }
        #expect(try store.booking(code: booking.code, codiceFiscale: "VRDGPP80A01H501U") == nil)
        let cancelled = try store.cancel(
            code: " \(booking.code.lowercased()) ", codiceFiscale: "rssmra85t10a562s", now: now + 5, clientIP: ""
        ).value
        #expect(cancelled.state == .cancelledByCitizen)
        #expect(
            try store.cancel(code: booking.code, codiceFiscale: mario.codiceFiscale, now: now + 6, clientIP: "").value
                == cancelled)
        _ = try store.placeHold(slot: slot, capacity: 1, now: now + 7, expiresAt: now + 600, clientIP: "").value
        let audit = try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE action = 'cancel'") }
        #expect(audit == 1)
    }

    @Test func aStartedAppointmentCannotBeCancelled() throws {
        defer { removeDatabase(path) }
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "").value
        let booking = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now, clientIP: ""
        ).value
        #expect(throws: BookingError.bookingInPast) {
            try store.cancel(code: booking.code, codiceFiscale: mario.codiceFiscale, now: slot.start, clientIP: "")
                .value
        }
    }

    @Test func thePerPersonCapCountsActiveFutureBookingsOfTheService() throws {
        defer { removeDatabase(path) }
        for offset in 0..<2 {
            let next = SlotRef(serviceID: slot.serviceID, start: slot.start + Int64(offset) * 1200)
            let hold = try store.placeHold(slot: next, capacity: 1, now: now, expiresAt: now + 600, clientIP: "").value
            _ = try store.confirm(
                holdToken: hold.token, person: mario, slotEnd: next.start + 1200, now: now, clientIP: "",
                policy: BookingPolicy(maxActiveBookingsPerPerson: 2)
            ).value
        }
        let third = SlotRef(serviceID: slot.serviceID, start: slot.start + 7200)
        let hold = try store.placeHold(slot: third, capacity: 1, now: now, expiresAt: now + 600, clientIP: "").value
        #expect(throws: BookingError.personLimitReached) {
            try store.confirm(
                holdToken: hold.token, person: mario, slotEnd: third.start + 1200, now: now, clientIP: "",
                policy: BookingPolicy(maxActiveBookingsPerPerson: 2)
            ).value
        }
        var luigi = mario
        luigi.codiceFiscale = "VRDGPP80A01H501U"
        _ = try store.confirm(
            holdToken: hold.token, person: luigi, slotEnd: third.start + 1200, now: now, clientIP: "",
            policy: BookingPolicy(maxActiveBookingsPerPerson: 2)
        ).value
    }

    @Test func occupancyAndExpiredHoldSlots() throws {
        defer { removeDatabase(path) }
        let hold = try store.placeHold(slot: slot, capacity: 3, now: now, expiresAt: now + 600, clientIP: "").value
        _ = try store.confirm(holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now, clientIP: "")
            .value
        _ = try store.placeHold(slot: slot, capacity: 3, now: now, expiresAt: now + 300, clientIP: "").value
        let other = SlotRef(serviceID: "tari", start: slot.start)
        _ = try store.placeHold(slot: other, capacity: 3, now: now, expiresAt: now + 300, clientIP: "").value
        let all = try store.occupancy(serviceID: nil, from: slot.start, to: slot.start + 1, now: now)
        #expect(all["carta-identita"]?[slot.start] == SlotOccupancy(booked: 1, held: 1))
        #expect(all["tari"]?[slot.start] == SlotOccupancy(held: 1))
        let one = try store.occupancy(serviceID: "tari", from: slot.start, to: slot.start + 1, now: now)
        #expect(one.keys.sorted() == ["tari"])
        #expect(
            try store.occupancy(serviceID: nil, from: slot.start, to: slot.start + 1, now: now + 300)[
                "carta-identita"]?[slot.start]?.held ?? 0 == 0)
        #expect(Set(try store.slotsOfHoldsExpired(between: now, and: now + 300)) == [slot, other])
        #expect(try store.slotsOfHoldsExpired(between: now + 300, and: now + 900).isEmpty)
    }

    @Test func aConfirmedBookingSurvivesReopeningTheDatabase() throws {
        defer { removeDatabase(path) }
        let hold = try store.placeHold(slot: slot, capacity: 1, now: now, expiresAt: now + 600, clientIP: "").value
        let booking = try store.confirm(
            holdToken: hold.token, person: mario, slotEnd: slot.start + 1200, now: now, clientIP: ""
        ).value
        let reopened = BookingStore(database: try Database(path: path))
        #expect(try reopened.booking(code: booking.code, codiceFiscale: mario.codiceFiscale) == booking)
    }

    @Test func tokensAreUniqueAndWellFormed() {
        defer { removeDatabase(path) }  // the suite's `init` made it
        let tokens = (0..<1000).map { _ in Tokens.hex128() }
        #expect(Set(tokens).count == 1000)
        #expect(tokens.allSatisfy { $0.count == 32 && $0.allSatisfy { $0.isHexDigit && !$0.isUppercase } })
        #expect(!Tokens.codeAlphabet.contains { "01OI".contains($0) })
        #expect(Tokens.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!Tokens.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!Tokens.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}
