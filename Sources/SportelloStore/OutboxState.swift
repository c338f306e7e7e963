import Foundation
import SportelloCore

/// The outbox at a glance, for `/api/health` and the metrics.
public struct OutboxState: Sendable, Equatable {
    /// Messages not yet delivered and still being tried.
    public let backlog: Int
    /// Messages given up on after their last attempt.
    public let dead: Int
    /// Age in seconds of the oldest message due and not delivered, counted from when it first became due,
    /// failed attempts included (0 when none).
    public let oldestDueSeconds: Int64
}
