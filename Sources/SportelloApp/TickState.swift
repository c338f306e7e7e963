import Synchronization

/// Holds the last tick's instant.
final class TickState: Sendable {
    private let last = Mutex<Int64?>(nil)
    func swap(_ now: Int64) -> Int64? {
        last.withLock { previous in
            defer { previous = now }
            return previous
        }
    }
}
