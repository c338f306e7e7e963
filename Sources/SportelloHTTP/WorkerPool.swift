import CEpoll
import Dispatch
import Glibc
import SportelloCore

/// Runs the responder on a fixed number of threads. Requests wait in arrival order; a burst of thousands
/// costs a queue entry each, not a thread each.
final class WorkerPool: Sendable {
    private let pending = Locked(JobQueue())
    private let available = DispatchSemaphore(value: 0)
    private let stopping = Locked(false)
    private let threads: Int

    private struct JobQueue {
        var incoming: [Job] = []
        var outgoing: [Job] = []

        mutating func push(_ job: Job) { incoming.append(job) }

        mutating func pop() -> Job? {
            if outgoing.isEmpty {
                outgoing = incoming.reversed()
                incoming.removeAll(keepingCapacity: true)
            }
            return outgoing.popLast()
        }
    }

    init(threads: Int) { self.threads = max(1, threads) }

    /// Starts the threads; false when the system refused one.
    func start(_ work: @escaping @Sendable (Job) -> Void) -> Bool {
        for _ in 0..<threads {
            let started = spawnDetachedThread { [self] in
                while true {
                    available.wait()
                    if stopping.withLock({ $0 }) { return }
                    guard let job = pending.withLock({ $0.pop() }) else { continue }
                    work(job)
                }
            }
            if !started { return false }
        }
        return true
    }

    /// Queues a request; false (and nothing queued) when `limit` requests already wait.
    func submit(_ job: Job, limit: Int) -> Bool {
        let queued = pending.withLock { queue -> Bool in
            guard queue.incoming.count + queue.outgoing.count < limit else { return false }
            queue.push(job)
            return true
        }
        if queued { available.signal() }
        return queued
    }

    /// Workers finish the request in hand and exit; queued requests are dropped (their connections are gone).
    func stop() {
        stopping.withLock { $0 = true }
        for _ in 0..<threads { available.signal() }
    }
}
