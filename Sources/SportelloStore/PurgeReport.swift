import CSQLite
import Foundation
import SportelloCore

/// What the retention purge erased or deleted, for the command's output and the log.
public struct PurgeReport: Sendable, Equatable {
    /// Past bookings whose personal data was erased.
    public var bookingsErased = 0
    /// Old holds deleted.
    public var holdsDeleted = 0
    /// Audit rows whose address was erased.
    public var auditAddressesErased = 0
    /// Delivered or dead outbox rows deleted.
    public var outboxDeleted = 0
    /// Idle accounts erased.
    public var accountsErased = 0
}
