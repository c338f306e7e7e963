import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// What one delivery pass did, for the log line and for tests.
public struct DeliveryReport: Sendable, Equatable {
    /// Messages the program accepted.
    public var delivered = 0
    /// Messages that failed this time and will be retried.
    public var failed = 0
    /// Messages given up after their last attempt.
    public var dead = 0
    /// Day-before reminders put in the outbox by this pass.
    public var remindersQueued = 0
    /// Claims left by a worker that is gone, settled from the spool or released.
    public var recovered = 0
}
