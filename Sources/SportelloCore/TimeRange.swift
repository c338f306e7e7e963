import Foundation

/// A half-open range of local time within one day, written "08:30-12:30" in the configuration.
public struct TimeRange: Hashable, Sendable, CustomStringConvertible {
    /// The first minute of the range.
    public let start: LocalTime
    /// The minute after the range ends (half-open: 08:30-12:30 ends before 12:30).
    public let end: LocalTime

    /// nil unless `start` is before `end`: an empty or reversed range is a configuration error.
    public init?(start: LocalTime, end: LocalTime) {
        guard start < end else { return nil }
        self.start = start
        self.end = end
    }

    /// Parses "8:30-12:30" (spaces around the dash allowed; an en dash too).
    public init?(parsing text: String) {
        let normalized = text.replacingOccurrences(of: "–", with: "-")
        let parts = normalized.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let start = LocalTime(parsing: Substring(parts[0].trimmed(of: .whitespaces))),
            let end = LocalTime(parsing: Substring(parts[1].trimmed(of: .whitespaces)))
        else { return nil }
        self.init(start: start, end: end)
    }

    /// Whether the two ranges share a minute (touching ends do not overlap).
    public func overlaps(_ other: TimeRange) -> Bool { start < other.end && other.start < end }

    /// "08:30-12:30"
    public var description: String { "\(start)-\(end)" }
}
