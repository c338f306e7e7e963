import Foundation
import SportelloNotify

/// The delivery thread of `serve`: delivers the outbox when woken (after a change queued messages, see
/// `AfterCommit`) and every 30 seconds (retries, reminders).
final class NotificationWorker: BackgroundService {
    let name = "notifications"
    private let notifier: Notifier
    private let clock: @Sendable () -> Int64
    /// Counts the failed attempts for the metrics address.
    private let metrics: Metrics?
    private let signal = DispatchSemaphore(value: 0)

    init(notifier: Notifier, clock: @escaping @Sendable () -> Int64, metrics: Metrics? = nil) {
        self.notifier = notifier
        self.clock = clock
        self.metrics = metrics
    }

    /// One delivery pass over the due messages (at most `limit`); its failed attempts (retried or given up)
    /// are counted.
    @discardableResult
    func deliverDue(limit: Int = 500, keepGoing: () -> Bool = { true }) -> DeliveryReport {
        let report = notifier.deliverDue(clock: clock, limit: limit, keepGoing: keepGoing)
        metrics?.countNotificationFailures(report.failed + report.dead)
        return report
    }

    /// Asked to stop, the pass in progress takes no further message and stops waiting for a running sendmail
    /// (left to finish; the next start settles its message from the spool).
    func run(until stop: StopRequest) {
        // No answer waits for a mail: while the loop runs beside the requests (serve), its hand-overs yield the
        // cores to the requests' threads. A pass called directly (`sportello deliver`, tests) runs at the
        // caller's priority.
        notifier.handOversYieldToAnswers = true
        let batch = 500
        while !stop.isRequested {
            // Every confirmation wakes the worker: the wakes that piled up during the last pass are all
            // answered by this one (a wake after this point still starts another).
            while signal.wait(timeout: .now()) == .success {}
            let report = deliverDue(limit: batch, keepGoing: { !stop.isRequested })
            // A full batch means a backlog (after a restart, or a rush): go on at once instead of waiting
            // for the next change or the 30-second tick.
            if report.delivered + report.failed >= batch { continue }
            _ = signal.wait(timeout: .now() + 30)
        }
    }

    func interrupt() { signal.signal() }

    func wake() { signal.signal() }

    /// Wakes the worker `seconds` from now, off the caller's thread.
    func wake(after seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in signal.signal() }
    }
}
