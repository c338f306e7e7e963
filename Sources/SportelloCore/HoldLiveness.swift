/// When a hold keeps a desk for the citizen completing a booking (docs/ARCHITECTURE.md §3): the one rule,
/// which the Store's `Hold` and its SQL conditions follow.
///
/// A hold is *live* while it is neither given back (released) nor turned into a booking (confirmed) and its
/// expiry instant is still ahead: at `now == expiresAt` it has run out. Only live holds occupy desks.
public enum HoldLiveness {
    /// The one instant comparison: a hold expiring at `expiresAt` still runs at `now` when `expiresAt > now`.
    public static func isRunning(expiresAt: Int64, at now: Int64) -> Bool { expiresAt > now }

    /// Whether the hold keeps its desk at `now`.
    public static func isLive(released: Bool, confirmed: Bool, expiresAt: Int64, at now: Int64) -> Bool {
        !released && !confirmed && isRunning(expiresAt: expiresAt, at: now)
    }

    /// Whether a hold not yet confirmed ran out by `now`, so the citizen is told "expired" (a confirmed hold
    /// never expires: confirming it again returns its booking).
    public static func hasRunOut(confirmed: Bool, expiresAt: Int64, at now: Int64) -> Bool {
        !confirmed && !isRunning(expiresAt: expiresAt, at: now)
    }

    /// Whether a hold live at `from` ran out in (from, to], so the slot's page must show its desk free again.
    /// Released and confirmed holds gave their desk back when that happened, not by running out.
    public static func ranOut(
        released: Bool, confirmed: Bool, expiresAt: Int64,
        between from: Int64, and to: Int64
    ) -> Bool {
        isLive(released: released, confirmed: confirmed, expiresAt: expiresAt, at: from)
            && !isRunning(expiresAt: expiresAt, at: to)
    }
}
