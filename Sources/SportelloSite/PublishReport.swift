/// What one publish did, for the log line and for tests.
public struct PublishReport: Sendable, Equatable {
    /// Pages rendered.
    public var rendered = 0
    /// Files written: a rendered page identical to its file on disk is left alone.
    public var written = 0
    /// Files removed: pages no longer published and leftovers of interrupted writes.
    public var removed = 0
    /// Availability files (week and next-free JSON) written; not in `written`, which counts pages and assets.
    public var data = 0

    /// Nothing done yet.
    public init() {}

    static func + (lhs: PublishReport, rhs: PublishReport) -> PublishReport {
        var sum = lhs
        sum.rendered += rhs.rendered
        sum.written += rhs.written
        sum.removed += rhs.removed
        sum.data += rhs.data
        return sum
    }
}
