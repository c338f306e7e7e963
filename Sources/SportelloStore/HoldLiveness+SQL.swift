import SportelloCore

extension HoldLiveness {
    /// `HoldLiveness.isRunning` over the `holds` table, `now` being an SQL expression (a parameter such as
    /// `?3`): the one place the instant comparison is spelled in SQL.
    static func sqlRunning(at now: String) -> String { "expires_at > \(now)" }

    /// The negation of `sqlRunning`, written as a bound the planner can use on the `expires_at` index (it
    /// does not see through `NOT (expires_at > x)`).
    static func sqlNotRunning(at now: String) -> String { "expires_at <= \(now)" }

    /// `HoldLiveness.isLive` over the `holds` table. Written as plain terms joined by AND, so the planner
    /// sees the `released = 0 AND booking_id IS NULL` of the partial indexes `holds_live` and
    /// `holds_client_live` and uses them.
    static func sqlLive(at now: String) -> String { "released = 0 AND booking_id IS NULL AND \(sqlRunning(at: now))" }
}
