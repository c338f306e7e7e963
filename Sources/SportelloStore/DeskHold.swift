import SportelloCore

/// A hold placed on one desk of a desk service: the hold itself, the desk it was given and when it ends.
public struct DeskHold: Sendable, Equatable {
    public let hold: Hold
    public let desk: DeskID
    public let interval: DeskInterval
}
