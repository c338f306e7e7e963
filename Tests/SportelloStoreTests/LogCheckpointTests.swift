import Foundation
import Synchronization
import Testing

@testable import SportelloStore

/// The writer copies the write-ahead log into the database file between batches (SQLite's automatic checkpoint,
/// which ran inside a COMMIT, is off), and the log stays bounded even when the queue is never short.
@Suite struct LogCheckpointTests {
    private func logBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
    }

    @Test func theWriterCopiesTheLogBetweenBatches() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        let filler = String(repeating: "x", count: 2_000)
        // One write after another, about a page each: a copy is due each time the log passes `checkpointPages`.
        // Not durable: no flush per write, the log grows the same.
        for index in 0..<6_000 {
            try database.write(durable: false) {
                try $0.execute(
                    "INSERT INTO audit (at, actor, action) VALUES (?, 'filler', ?)", .int(Int64(index)), .text(filler))
            }
        }
        let checkpoints = database.logCheckpoints
        #expect(checkpoints.count >= 3)
        #expect(checkpoints.slowestSeconds > 0)
        // The log starts again after each copy: it never grows past the copy's threshold (plus one write).
        #expect(logBytes(path) <= (Database.checkpointPages + 16) * 4_200)
        let reopened = try Database(path: path)
        #expect(try reopened.read { try $0.scalarInt("SELECT count(*) FROM audit WHERE actor = 'filler'") } == 6_000)
    }

    @Test func theLogStaysBoundedWhenWritesAlwaysWait() throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        let filler = String(repeating: "y", count: 2_000)
        let failures = Atomic<Int>(0)
        // 16 writers without pause: the queue is rarely short, the bound on the log still holds.
        let group = DispatchGroup()
        for thread in 0..<16 {
            group.enter()
            Thread {
                for index in 0..<400 {
                    do {
                        try database.write {
                            try $0.execute(
                                "INSERT INTO audit (at, actor, action) VALUES (?, 'rush', ?)",
                                .int(Int64(thread * 1_000 + index)), .text(filler))
                        }
                    } catch {
                        failures.add(1, ordering: .relaxed)
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(database.logCheckpoints.count >= 1)
        // 6,400 rows of 2 KB are about 13 MB: the log holds at most the bound and one batch more.
        #expect(logBytes(path) <= (Database.checkpointPages + 2 * Database.batchLimit) * 4_200)
        #expect(try database.read { try $0.scalarInt("SELECT count(*) FROM audit WHERE actor = 'rush'") } == 6_400)
    }
}
