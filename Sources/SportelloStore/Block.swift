import CSQLite
import Foundation
import SportelloCore

/// Operator unavailability: `desks` desks of a service, or the one desk `desk`, are out for [startsAt, endsAt).
public struct Block: Sendable, Equatable {
    /// The row id, to remove the block.
    public let id: Int64
    /// The service whose desks are out.
    public let serviceID: String
    /// Start of the unavailability, unix seconds.
    public let startsAt: Int64
    /// End of the unavailability (exclusive), unix seconds.
    public let endsAt: Int64
    /// How many of the service's desks are out (1 when `desk` names the one).
    public let desks: Int
    /// Why, as the operator wrote it.
    public let reason: String?
    /// The actor who placed it, as the audit log names them (nil for blocks older than the column).
    public let createdBy: String?
    /// The one desk that is out, as the store records desks ("<office id>/<name>"), for a desk service's block
    /// naming it; nil for a block counting desks.
    public var desk: String? = nil

    /// The named desk's name as the office calls it ("Sportello 2"); nil for a block counting desks.
    public var deskName: String? { desk.flatMap(DeskID.init(key:))?.name }
}
