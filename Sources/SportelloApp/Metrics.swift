import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore
import Synchronization

/// The counters of a running `serve`, written in the Prometheus text format on the opt-in metrics address.
/// Counting is a few atomic additions per request; the reasons of refusals are a small fixed set.
public final class Metrics: Sendable {
    private struct Counts {
        /// Index: page (0) or api (6), plus the status class 1…5.
        var requests = [Int](repeating: 0, count: 12)
        var microseconds = 0
    }
    private let counts = Mutex(Counts())
    private let refusals = Mutex<[String: Int]>([:])
    private let notificationFailures = Atomic<Int>(0)

    /// Counters all at zero; one per application.
    public init() {}

    func countRequest(api: Bool, status: Int, nanoseconds: UInt64) {
        let statusClass = min(5, max(1, status / 100))
        let micros = Int(min(nanoseconds / 1_000, 1 << 40))
        counts.withLock {
            $0.requests[(api ? 6 : 0) + statusClass] += 1
            $0.microseconds &+= micros
        }
    }

    func countRefusal(_ reason: String) { refusals.withLock { $0[reason, default: 0] += 1 } }

    func countNotificationFailures(_ count: Int) {
        if count > 0 { notificationFailures.add(count, ordering: .relaxed) }
    }

    /// The exposition text; gauges (outbox, publisher) are read at scrape time.
    func exposition(outbox: OutboxState?, publisher: PublisherHealth.Snapshot, version: String) -> String {
        let snapshot = counts.withLock { $0 }
        var text = "# HELP sportello_info Version of the running Sportello.\n# TYPE sportello_info gauge\n"
        text += "sportello_info{version=\"\(version)\"} 1\n"
        text +=
            """
            # HELP sportello_requests_total HTTP requests answered, by kind (page or api) and status class.\n# TYPE \
            sportello_requests_total counter\n
            """
        for api in [false, true] {
            for statusClass in 1...5 {
                text +=
                    """
                    sportello_requests_total{kind=\"\(api ? "api" : "page")\",status=\"\(statusClass)xx\"} \
                    \(snapshot.requests[(api ? 6 : 0) + statusClass])\n
                    """
            }
        }
        text +=
            """
            # HELP sportello_request_seconds_total Time spent answering requests.\n# TYPE \
            sportello_request_seconds_total counter\n
            """
        text += "sportello_request_seconds_total \(Double(snapshot.microseconds) / 1_000_000)\n"
        text +=
            """
            # HELP sportello_refusals_total Endpoint requests refused, by error code.\n# TYPE sportello_refusals_total \
            counter\n
            """
        for (reason, count) in refusals.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            text += "sportello_refusals_total{reason=\"\(reason)\"} \(count)\n"
        }
        text +=
            """
            # HELP sportello_notification_failures_total Failed mail or SMS delivery attempts.\n# TYPE \
            sportello_notification_failures_total counter\n
            """
        text += "sportello_notification_failures_total \(notificationFailures.load(ordering: .relaxed))\n"
        if let outbox {
            text +=
                """
                # HELP sportello_outbox_backlog Notifications not yet delivered.\n# TYPE sportello_outbox_backlog \
                gauge\nsportello_outbox_backlog \(outbox.backlog)\n
                """
            text +=
                """
                # HELP sportello_outbox_dead Notifications given up on.\n# TYPE sportello_outbox_dead \
                gauge\nsportello_outbox_dead \(outbox.dead)\n
                """
            text +=
                """
                # HELP sportello_outbox_oldest_due_seconds Age of the oldest notification waiting to go out.\n# TYPE \
                sportello_outbox_oldest_due_seconds gauge\nsportello_outbox_oldest_due_seconds \
                \(outbox.oldestDueSeconds)\n
                """
        }
        text +=
            """
            # HELP sportello_publish_last_success_timestamp_seconds When pages were last published.\n# TYPE \
            sportello_publish_last_success_timestamp_seconds gauge\n
            """
        text += "sportello_publish_last_success_timestamp_seconds \(publisher.lastSuccess ?? 0)\n"
        text +=
            """
            # HELP sportello_publish_failing 1 while some pages failed to publish and have not been published \
            since.\n# TYPE sportello_publish_failing gauge\n
            """
        text += "sportello_publish_failing \(publisher.failing ? 1 : 0)\n"
        return text
    }
}

/// How long the oldest due notification may wait before `/api/health` calls the outbox stuck.
let outboxStuckAfterSeconds: Int64 = 15 * 60

/// `HOST:PORT` of `--metrics` (`127.0.0.1:9090`, `[::1]:9090`).
func parseListenAddress(_ text: String) -> (host: String, port: Int)? {
    var host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
        host = text[text.index(after: text.startIndex)..<close]
        portText = text[text.index(close, offsetBy: 2)...]
    } else {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
        if host.contains(":") { return nil }
    }
    if host.isEmpty { host = "127.0.0.1" }
    guard let port = Int(portText), (1...65_535).contains(port) else { return nil }
    return (String(host), port)
}
