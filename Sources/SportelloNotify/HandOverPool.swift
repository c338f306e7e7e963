import Foundation
import SportelloCore

/// The threads that run a notifier's hand-overs: at most `size`, each started when a hand-over finds no thread
/// free and ended after `idleSeconds` without one, so they live across delivery passes. A thread per message cost
/// the server about as much CPU as composing the message (issue 16). Unlike the HTTP workers, which run for the
/// server's life, these start only when mail flows. The caller bounds how many hand-overs it gives at once.
final class HandOverPool: @unchecked Sendable {
    private let size: Int
    private let idleSeconds: Double
    // Guards the three below; a thread waits on it for work.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var threads = 0
    private var waiting = 0
    private var lowered = false

    /// Whether the pool's threads run at the background priority (`BackgroundPriority`; `serve` sets it): no
    /// answer waits for a mail, and composing and handing one over took a core from the requests. What a lowered
    /// thread starts inherits its priority: the courier link's reader, the courier process and the programs it
    /// runs (all of them mail), and Dispatch's pool threads, which a hand-over never calls into. The delivery
    /// thread itself stays at the default priority: its claims and marks hold the database's writer, which every
    /// request waits for (docs/ARCHITECTURE.md §7). Read when a thread starts.
    var yieldsToAnswers: Bool {
        get { condition.withLock { lowered } }
        set { condition.withLock { lowered = newValue } }
    }

    /// A pool of at most `size` threads, each ending after `idleSeconds` with nothing to do.
    init(size: Int, idleSeconds: Double = 10) {
        self.size = max(1, size)
        self.idleSeconds = idleSeconds
    }

    /// Threads alive now (running a hand-over or waiting for one).
    var liveThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    /// Runs `job` on a thread of the pool: a waiting one, else a new one while fewer than `size` live, else the
    /// first to finish its hand-over.
    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // A waiting thread for every queued job (those signalled but not yet awake included), else a new thread.
        let start = waiting < jobs.count && threads < size
        if start {
            threads += 1
        } else if waiting > 0 {
            condition.signal()
        }
        condition.unlock()
        if start { Thread { [self] in work() }.start() }
    }

    private func work() {
        ThreadName.nameCallingThread("hand-over")
        if yieldsToAnswers { BackgroundPriority.lowerCallingThread() }
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            waiting += 1
            let woken = condition.wait(until: Date(timeIntervalSinceNow: idleSeconds))
            waiting -= 1
            if !woken && jobs.isEmpty { break }
        }
        threads -= 1
        condition.unlock()
    }
}
