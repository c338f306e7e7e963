extension Duration {
    /// Non-negative nanoseconds, saturating.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return UInt64.max / 2 }
        let fraction = attoseconds / 1_000_000_000
        return fraction >= 0 ? whole &+ UInt64(fraction) : whole &- UInt64(-fraction)
    }
}
