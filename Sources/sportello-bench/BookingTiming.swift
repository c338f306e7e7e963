/// One booking of the endpoint bench, in seconds: when it started (monotonic), its hold's answer and the whole
/// (hold and confirmation). The slowest per cent tells where the tail comes from: a stall at the start or one
/// spread over the run, waiting for the hold (its batch) or for the confirmation (a durable batch).
struct BookingTiming {
    let start: Double
    let hold: Double
    let whole: Double

    /// The slowest 1% of `timings` (which decides the p99): how many fall in each tenth of the run, and the
    /// median share of their time spent on the hold.
    static func slowestSummary(_ timings: [BookingTiming], start: Double, elapsed: Double) -> String {
        let slowest = timings.sorted { $0.whole > $1.whole }.prefix(max(1, timings.count / 100))
        var tenths = [Int](repeating: 0, count: 10)
        for timing in slowest {
            let tenth = Int((timing.start - start) / max(elapsed, 1e-9) * 10)
            tenths[min(9, max(0, tenth))] += 1
        }
        let holdShares = slowest.map { $0.hold / max($0.whole, 1e-9) }.sorted()
        let share = holdShares.isEmpty ? 0 : holdShares[holdShares.count / 2]
        let fastest = slowest.last.map { $0.whole * 1000 } ?? 0
        return "          slowest 1% (\(slowest.count), from \(Int(fastest.rounded())) ms): by tenth of the run "
            + tenths.map(String.init).joined(separator: " ") + "; hold \(Int((share * 100).rounded()))% of their time"
    }
}
