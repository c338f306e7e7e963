import SportelloCore

/// Daily counts per address and contact in the `usage` table. Counted inside the transaction of the action
/// they budget, so concurrent requests cannot overshoot a cap. Days are Italian civil days: a cap restarts at
/// local midnight, the instant a refused client is told.
public enum Usage {
    /// The civil day of `now` and the instant the next one begins.
    public static func day(of now: Int64) -> (day: Int64, ends: Int64) { BookingLimits.civilDay(of: now) }

    /// Counts one use of every capped key, or none when any is already at its limit: then returns the instant
    /// the budget opens again.
    public static func take(_ connection: Connection, _ caps: [DailyCap], now: Int64) throws -> Int64? {
        let (day, ends) = day(of: now)
        let capped = caps.filter { BookingLimits.dailyCapApplies(key: $0.key, limit: $0.limit) }
        for cap in capped {
            let used =
                try connection.first("SELECT count FROM usage WHERE key = ? AND day = ?", .text(cap.key), .int(day)) {
                    $0.int(0)
                } ?? 0
            if BookingLimits.dailyCapSpent(used: Int(used), limit: cap.limit) { return ends }
        }
        // Yesterday's counts hold contacts and no cap looks at them again: they go with today's first count
        // (an empty range of the day index when there are none).
        if !capped.isEmpty { try connection.execute("DELETE FROM usage WHERE day < ?", .int(day)) }
        for cap in Set(capped.map(\.key)) {
            try connection.execute(
                """
                INSERT INTO usage (key, day, count) VALUES (?, ?, 1)
                ON CONFLICT (key, day) DO UPDATE SET count = count + 1
                """, .text(cap), .int(day))
        }
        return nil
    }
}
