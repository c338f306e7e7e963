import SportelloCore

/// A hold placed on one desk of a desk service: the hold itself, the desk it was given and when it ends.
public struct DeskHold: Sendable, Equatable {
    /// The hold as every service has it.
    public let hold: Hold
    /// The desk `DeskAllocation.assign` gave it.
    public let desk: DeskID
    /// The span it occupies on that desk.
    public let interval: DeskInterval
}
