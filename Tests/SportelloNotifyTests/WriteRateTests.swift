import Foundation
import SportelloStore
import Testing

@testable import SportelloNotify

/// The notifier's sign of a rush: many committed writes in the last window count as busy, none as quiet.
struct WriteRateTests {
    @Test func manyWritesAreBusyAndAQuietWindowIsNot() throws {
        let sandbox = try Sandbox()
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        try database.write(durable: false) { try $0.execute("CREATE TABLE t (n INTEGER)") }
        var rate = WriteRate(database: database)
        // 1,000 writes take far less than the 5 s that would bring them under 200 a second.
        for number in 0..<1_000 {
            try database.write(durable: false) { try $0.execute("INSERT INTO t VALUES (?)", .int(Int64(number))) }
        }
        Thread.sleep(forTimeInterval: WriteRate.window)
        let busyAfterWrites = rate.isBusy()
        #expect(busyAfterWrites)
        Thread.sleep(forTimeInterval: WriteRate.window * 2)
        let busyAfterQuiet = rate.isBusy()
        #expect(!busyAfterQuiet)
    }

    /// A sample taken long ago says nothing of the writes now: the notifier reads a fresh window first.
    @Test func anOldSampleIsStaleAndAFreshOneIsNot() throws {
        let sandbox = try Sandbox()
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        var rate = WriteRate(database: database)
        #expect(!rate.isStale)
        Thread.sleep(forTimeInterval: WriteRate.window * 5)
        #expect(rate.isStale)
        _ = rate.isBusy()
        #expect(!rate.isStale)
    }
}
