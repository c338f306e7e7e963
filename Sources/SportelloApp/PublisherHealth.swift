import Foundation
import SportelloCore
import SportelloSite
import Synchronization

/// The publisher's last outcome: a failing publisher leaves the pages behind the bookings (the slot a
/// citizen just took still shown free), which is what `/api/health` must report as degraded. Kept per part
/// (each lane, and whole rebuilds), so one lane succeeding does not hide another one failing.
public final class PublisherHealth: Sendable {
    /// The health as last recorded, copied out of the lock.
    public struct Snapshot: Sendable, Equatable {
        /// When a pass last succeeded, unix seconds.
        public var lastSuccess: Int64?
        /// When a pass last failed, unix seconds.
        public var lastFailure: Int64?
        /// Why the last failed pass failed (at most 300 characters).
        public var lastError: String?
        /// The parts whose last pass failed.
        public var failingParts: Set<String> = []
        /// The start-up rebuild is running: the pages on disk are served meanwhile.
        public var rebuilding = false
        /// Whether some part's last pass failed: `/api/health` answers degraded.
        public var failing: Bool { !failingParts.isEmpty }
    }

    /// The part name of whole rebuilds (start-up, midnight, reload).
    public static let fullBuild = "full build"

    private let state = Mutex(Snapshot())

    /// Health with nothing published yet.
    public init() {}

    /// The current outcome, consistent across its fields.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Records a pass of `part` that succeeded at `instant`, clearing its failure.
    public func succeeded(at instant: Int64, part: String = "publisher") {
        state.withLock {
            $0.lastSuccess = max($0.lastSuccess ?? instant, instant)
            $0.failingParts.remove(part)
        }
    }

    /// Records a pass of `part` that failed at `instant` with `error`.
    public func failed(at instant: Int64, error: String, part: String = "publisher") {
        state.withLock {
            $0.lastFailure = instant
            $0.lastError = String(error.prefix(300))
            $0.failingParts.insert(part)
        }
    }

    /// Marks the start-up rebuild as running or finished.
    public func setRebuilding(_ running: Bool) { state.withLock { $0.rebuilding = running } }
}
