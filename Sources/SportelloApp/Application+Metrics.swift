import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore
import Synchronization

extension Application {
    /// The Prometheus text of this process.
    public func metricsExposition() -> String {
        // Without a readable outbox its series are left out (the health check says why).
        return metrics.exposition(
            outbox: try? Outbox(database: store.database).state(now: clock()), publisher: queue.health.snapshot,
            version: sportelloVersion)
    }

    /// A responder for the metrics address: `/metrics` only.
    public func metricsResponder() -> any HTTPResponder {
        HTTPClosureResponder { [self] request in
            guard request.method == "GET" || request.method == "HEAD", request.path == "/metrics" else {
                return .text(404, "not found: the metrics are at /metrics\n")
            }
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                body: Array(metricsExposition().utf8))
        }
    }
}
