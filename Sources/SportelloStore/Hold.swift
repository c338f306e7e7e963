import Foundation
import SportelloCore

/// A slot kept for a citizen while they fill in the form; it runs out unless confirmed into a booking.
public struct Hold: Sendable, Equatable {
    /// The random token the citizen's page carries to confirm or give back the hold.
    public let token: String
    /// The slot held.
    public let slot: SlotRef
    /// When the hold runs out unless confirmed, unix seconds.
    public let expiresAt: Int64
    /// Given back by the citizen or replaced by a newer hold: it keeps no desk.
    public let released: Bool
    /// The booking it was confirmed into, if any.
    public let bookingID: Int64?

    /// Whether it still keeps its desk at `now` (`HoldLiveness.isLive`).
    public func isActive(at now: Int64) -> Bool {
        HoldLiveness.isLive(released: released, confirmed: bookingID != nil, expiresAt: expiresAt, at: now)
    }

    /// Whether it ran out unconfirmed by `now` (`HoldLiveness.hasRunOut`): the answer is "expired".
    public func hasRunOut(at now: Int64) -> Bool {
        HoldLiveness.hasRunOut(confirmed: bookingID != nil, expiresAt: expiresAt, at: now)
    }
}
