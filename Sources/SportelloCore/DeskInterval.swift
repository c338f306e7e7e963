/// The time a booking or hold keeps one desk busy: [start, end) in Unix seconds, half-open, so an appointment
/// ending at 09:20 and one starting at 09:20 do not overlap.
public struct DeskInterval: Hashable, Sendable, CustomStringConvertible {
    /// First second the desk is busy (Unix seconds, included).
    public let start: Int64
    /// First second the desk is free again (Unix seconds, excluded).
    public let end: Int64

    /// Nil for an empty or backwards interval: such a request never occupies or fits anything.
    public init?(start: Int64, end: Int64) {
        guard start < end else { return nil }
        self.start = start
        self.end = end
    }

    /// Whether both intervals need the desk at some second; touching ends do not overlap.
    public func overlaps(_ other: DeskInterval) -> Bool { start < other.end && other.start < end }

    /// Half-open notation, for logs and test failures.
    public var description: String { "[\(start), \(end))" }
}
