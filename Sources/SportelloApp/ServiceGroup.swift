import Foundation
import SportelloCore
import Synchronization

/// Starts background services in order, each on a thread of its own, and stops them in reverse order, each
/// stop waiting until its thread's loop has returned, so nothing a later service needs stops under it and no
/// thread outlives `stop()`. Start and stop may be repeated; a second start or stop in a row does nothing.
public final class ServiceGroup: Sendable {
    private struct Running: Sendable {
        let service: any BackgroundService
        let stop: StopRequest
        let finished: DispatchSemaphore
    }

    private let services: [any BackgroundService]
    private let running = Mutex<[Running]?>(nil)
    private let liveThreads = Atomic<Int>(0)

    /// A group running `services`, started in this order and stopped in the reverse.
    public init(_ services: [any BackgroundService]) { self.services = services }

    /// Threads whose loop has not returned yet (zero once `stop()` returns).
    public var threadsRunning: Int { liveThreads.load(ordering: .acquiring) }

    /// Whether `start()` was called without a `stop()` after it.
    public var isRunning: Bool { running.withLock { $0 != nil } }

    /// Starts every service on a thread of its own; does nothing when already running.
    public func start() {
        running.withLock { running in
            guard running == nil else { return }
            running = services.map { service in
                let entry = Running(service: service, stop: StopRequest(), finished: DispatchSemaphore(value: 0))
                liveThreads.add(1, ordering: .acquiringAndReleasing)
                let thread = Thread { [self] in
                    // The system's name too (`ps -L`, `top -H`), at most 15 bytes: Foundation keeps its own. Threads
                    // it starts inherit it (the notifier's hand-over threads show as `notifications`).
                    ThreadName.nameCallingThread(service.name)
                    entry.service.run(until: entry.stop)
                    liveThreads.subtract(1, ordering: .acquiringAndReleasing)
                    entry.finished.signal()
                }
                thread.name = service.name
                thread.start()
                return entry
            }
        }
    }

    /// Stops the services in reverse order, returning once every thread has ended; nothing when stopped.
    public func stop() {
        // Under the lock for the whole stop: a start made meanwhile waits until every old thread has ended.
        running.withLock { running in
            guard let entries = running else { return }
            for entry in entries.reversed() {
                entry.stop.request()
                entry.service.interrupt()
                entry.finished.wait()
            }
            running = nil
        }
    }
}
