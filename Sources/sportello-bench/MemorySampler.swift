import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

/// Samples this process's resident memory every 20 ms until stopped; keeps the peak.
final class MemorySampler: Sendable {
    private let peak = Locked(0.0)
    private let running = Locked(true)

    func start() {
        Thread.detachNewThread { [self] in
            while running.withLock({ $0 }) {
                let now = residentMegabytes()
                peak.withLock { $0 = max($0, now) }
                usleep(20_000)
            }
        }
    }

    func stop() -> Double {
        running.withLock { $0 = false }
        return peak.withLock { $0 }
    }
}
