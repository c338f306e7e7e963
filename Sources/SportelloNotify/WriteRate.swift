import Foundation
import SportelloStore

/// How fast the database's writer commits, sampled at most every `window` seconds: the notifier's sign that
/// requests are flowing (a rush of bookings), read without a lock or a system call of the database's.
struct WriteRate {
    /// Writes a second from which the site counts as busy: far above a comune's ordinary traffic, well below a
    /// rush (two writes a booking).
    static let busyPerSecond = 200.0
    /// Shortest time between two samples.
    static let window = 0.05

    private let database: Database
    private var lastCount: Int
    private var lastTime: Date
    private var busy = false

    init(database: Database) {
        self.database = database
        lastCount = database.committedWrites
        lastTime = Date()
    }

    /// Whether the last sample is too old to tell the current rate: the next `isBusy` would average the writes
    /// over all that time.
    var isStale: Bool { Date().timeIntervalSince(lastTime) > Self.window * 4 }

    /// Whether the last window's writes came at `busyPerSecond` or faster.
    mutating func isBusy() -> Bool {
        let now = Date()
        let elapsed = now.timeIntervalSince(lastTime)
        guard elapsed >= Self.window else { return busy }
        let count = database.committedWrites
        busy = Double(count - lastCount) / elapsed >= Self.busyPerSecond
        lastCount = count
        lastTime = now
        return busy
    }
}
