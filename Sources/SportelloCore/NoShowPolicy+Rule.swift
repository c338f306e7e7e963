/// The no-show rule (docs/ARCHITECTURE.md §3): after `absences` missed appointments whose starts lie within
/// `withinDays` of each other, the person may not book for `blockDays` from the last of them. Days here are
/// periods of 24 hours counted from the appointment's start instant, not civil days: across a DST change the
/// bar ends an hour earlier or later on the wall clock.
extension NoShowPolicy {
    /// The earliest absence (exclusive) that can still bar someone at `now`: the Store fetches only the
    /// absences starting in (`lookbackStart`, `now`].
    public func lookbackStart(now: Int64) -> Int64 {
        now - Int64(withinDays) * 86_400 - Int64(blockDays) * 86_400
    }

    /// Given the start instants of a person's missed appointments (any order), the instant from which they may
    /// book again, or nil when the rule does not bar them at `now`. Absences outside (`lookbackStart`, `now`]
    /// are ignored; a policy asking for fewer than one absence counts as one.
    public func blockedUntil(absences: [Int64], now: Int64) -> Int64? {
        let lookback = lookbackStart(now: now)
        let relevant = absences.filter { $0 > lookback && $0 <= now }.sorted()
        let needed = max(1, self.absences)
        guard relevant.count >= needed else { return nil }
        let window = Int64(withinDays) * 86_400
        var until: Int64?
        // The bar runs from the last absence of the latest run of `needed` absences within the window.
        for last in (needed - 1)..<relevant.count where relevant[last] - relevant[last - needed + 1] <= window {
            until = relevant[last] + Int64(blockDays) * 86_400
        }
        guard let until, until > now else { return nil }
        return until
    }
}
