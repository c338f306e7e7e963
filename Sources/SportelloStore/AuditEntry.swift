import Foundation

/// One row of the audit log, for `sportello audit`.
public struct AuditEntry: Sendable, Equatable {
    /// When it happened, unix seconds.
    public let at: Int64
    /// Who did it ("cli", "operator:NAME", "citizen").
    public let actor: String
    /// What was done ("hold", "confirm", "operator.token", ...).
    public let action: String
    /// What it was done to (a slot, a booking code, an operator name).
    public let subject: String
}
