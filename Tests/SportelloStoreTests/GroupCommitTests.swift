import Dispatch
import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloStore

/// Starts `count` threads running `body(index)` and waits for all of them.
private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

/// Holds the writer inside a body until `waiting` other writes are queued behind it, so the test knows they
/// all go into the next batch together. Returns once the body is running.
private func blockWriter(_ database: Database, until waiting: Int) -> DispatchGroup {
    let group = DispatchGroup()
    let running = DispatchSemaphore(value: 0)
    group.enter()
    Thread {
        _ = try? database.write { connection in
            running.signal()
            let deadline = Date().addingTimeInterval(10)
            while database.queuedWrites < waiting && Date() < deadline { usleep(1_000) }
            try connection.execute("INSERT INTO audit (at, actor, action) VALUES (0, 'blocker', 'x')")
        }
        group.leave()
    }.start()
    running.wait()
    return group
}

private func auditRows(_ database: Database, actor: String) throws -> Int64 {
    try database.read { try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE actor = ?", .text(actor)) }
}

@Suite struct GroupCommitTests {
    @Test func writesQueuedDuringACommitShareTheNextOne() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        let blocker = blockWriter(database, until: 20)
        let failures = Atomic<Int>(0)
        onThreads(20) { index in
            do {
                try database.write {
                    try $0.execute(
                        "INSERT INTO audit (at, actor, action) VALUES (?, 'writer', 'x')", .int(Int64(index)))
                }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
        blocker.wait()
        #expect(failures.load(ordering: .relaxed) == 0)
        // The blocker's batch, then one batch for the 20 writes queued behind it.
        #expect(database.batchesCommitted.load(ordering: .relaxed) == 2)
        // Every write a caller saw succeed is on disk: a fresh connection finds it.
        let reopened = try Database(path: path)
        #expect(try auditRows(reopened, actor: "writer") == 20)
    }

    @Test func aBackgroundWriteDoesNotLeadABatchThatCarriesARequestsWrite() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        // Whether each body ran on a thread at the background priority: the leader's thread runs every body.
        let ranLowered = Locked<[String: Bool]>([:])
        @Sendable func write(_ name: String) {
            _ = try? database.write { connection in
                ranLowered.withLock { $0[name] = BackgroundPriority.isCallingThreadLowered }
                try connection.execute("INSERT INTO audit (at, actor, action) VALUES (0, ?, 'x')", .text(name))
            }
        }
        let blocker = blockWriter(database, until: 2)
        let done = DispatchGroup()
        done.enter()
        Thread {
            BackgroundPriority.lowerCallingThread()
            write("mail")
            done.leave()
        }.start()
        // The background write is queued first: handed the lead after the blocker's batch.
        let deadline = Date().addingTimeInterval(10)
        while database.queuedWrites < 1 && Date() < deadline { usleep(1_000) }
        done.enter()
        Thread {
            write("request")
            done.leave()
        }.start()
        blocker.wait()
        done.wait()
        #expect(ranLowered.withLock { $0 } == ["mail": false, "request": false])
        #expect(try auditRows(database, actor: "mail") == 1)
        #expect(try auditRows(database, actor: "request") == 1)
    }

    @Test func aFailingBodyRollsBackOnlyItself() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        struct Refused: Error {}
        let blocker = blockWriter(database, until: 10)
        let outcomes = Mutex<[Int: Bool]>([:])
        onThreads(10) { index in
            do {
                try database.write { connection in
                    try connection.execute(
                        "INSERT INTO audit (at, actor, action) VALUES (?, ?, 'x')", .int(Int64(index)),
                        .text("writer\(index)"))
                    if index % 3 == 0 { throw Refused() }
                }
                outcomes.withLock { $0[index] = true }
            } catch {
                outcomes.withLock { $0[index] = error is Refused ? false : nil }
            }
        }
        blocker.wait()
        let seen = outcomes.withLock { $0 }
        for index in 0..<10 {
            #expect(seen[index] == (index % 3 != 0))
            #expect(try auditRows(database, actor: "writer\(index)") == (index % 3 == 0 ? 0 : 1))
        }
        #expect(try auditRows(database, actor: "blocker") == 1)
    }

    @Test func aFailedCommitFailsEveryCallerOfTheBatch() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        // The blocker's commit is the one that fails; the 8 writes queued behind it commit in the next batch.
        database.failingCommit.store(database.commitAttempts.load(ordering: .relaxed) + 1, ordering: .relaxed)
        let blocker = blockWriter(database, until: 8)
        let succeeded = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        onThreads(8) { index in
            do {
                try database.write {
                    try $0.execute(
                        "INSERT INTO audit (at, actor, action) VALUES (?, 'writer', 'x')", .int(Int64(index)))
                }
                succeeded.add(1, ordering: .relaxed)
            } catch let error as DatabaseError {
                if error.message == "injected commit failure" { failed.add(1, ordering: .relaxed) }
            } catch {}
        }
        blocker.wait()
        // The blocker's batch failed alone (its caller ignores the error); the 8 writes committed together.
        #expect(try auditRows(database, actor: "blocker") == 0)
        #expect(try auditRows(database, actor: "writer") == Int64(succeeded.load(ordering: .relaxed)))
        #expect(succeeded.load(ordering: .relaxed) == 8)

        // Now the failure hits a batch of several callers: every one of them gets it, none of their rows stay.
        database.failingCommit.store(database.commitAttempts.load(ordering: .relaxed) + 2, ordering: .relaxed)
        let second = blockWriter(database, until: 6)
        let batchFailures = Atomic<Int>(0)
        onThreads(6) { index in
            do {
                try database.write {
                    try $0.execute("INSERT INTO audit (at, actor, action) VALUES (?, 'late', 'x')", .int(Int64(index)))
                }
            } catch let error as DatabaseError where error.message == "injected commit failure" {
                batchFailures.add(1, ordering: .relaxed)
            } catch {}
        }
        second.wait()
        #expect(batchFailures.load(ordering: .relaxed) == 6)
        #expect(try auditRows(database, actor: "blocker") == 1)
        #expect(try auditRows(database, actor: "late") == 0)
        // The writer is usable again afterwards.
        try database.write { try $0.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'after', 'x')") }
        #expect(try auditRows(database, actor: "after") == 1)
    }

    @Test func aWriteInsideAWriteJoinsItInsteadOfDeadlocking() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        struct Refused: Error {}
        try database.write { connection in
            try connection.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'outer', 'x')")
            try database.write { try $0.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'inner', 'x')") }
            #expect(throws: Refused.self) {
                try database.write { connection in
                    try connection.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'refused', 'x')")
                    throw Refused()
                }
            }
        }
        #expect(try auditRows(database, actor: "outer") == 1)
        #expect(try auditRows(database, actor: "inner") == 1)
        #expect(try auditRows(database, actor: "refused") == 0)
    }

    @Test func manyThreadsBookingNeverExceedCapacityAndEverySuccessIsDurable() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let store = BookingStore(database: try Database(path: path))
        let slots = (0..<5).map { SlotRef(serviceID: "s", start: 1_800_000_000 + Int64($0) * 1_200) }
        let booked = Mutex<[String]>([])
        let unexpected = Mutex<[String]>([])
        onThreads(60) { index in
            let slot = slots[index % slots.count]
            let person = PersonDetails(
                givenName: "A", familyName: "B", codiceFiscale: "RSSMRA85T10A562S", email: "a@b.it", phone: "3331234567"
            )
            do {
                let hold = try store.placeHold(
                    slot: slot, capacity: 3, now: now, expiresAt: now + 600, clientIP: "10.0.0.\(index)"
                ).value
                let booking = try store.confirm(
                    holdToken: hold.token, person: person, slotEnd: slot.start + 1_200, now: now + 1,
                    clientIP: "10.0.0.\(index)"
                ).value
                booked.withLock { $0.append(booking.code) }
            } catch BookingError.slotFull {
            } catch {
                unexpected.withLock { $0.append("\(error)") }
            }
        }
        #expect(unexpected.withLock { $0 }.isEmpty)
        let codes = booked.withLock { $0 }
        #expect(codes.count == 15)
        let reopened = try Database(path: path)
        for slot in slots {
            #expect(
                try reopened.read {
                    try $0.scalarInt("SELECT COUNT(*) FROM bookings WHERE slot_start = ?", .int(slot.start))
                } == 3)
        }
        for code in codes {
            #expect(
                try reopened.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings WHERE code = ?", .text(code)) } == 1
            )
        }
    }
}
