/// A half-open range of local time within one day, written "08:30-12:30" in the configuration.
public struct TimeRange: Hashable, Sendable, CustomStringConvertible {
    public let start: LocalTime
    public let end: LocalTime

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
              let start = LocalTime(parsing: Substring(parts[0].trimmingCharacters(in: .whitespaces))),
              let end = LocalTime(parsing: Substring(parts[1].trimmingCharacters(in: .whitespaces))) else { return nil }
        self.init(start: start, end: end)
    }

    public func overlaps(_ other: TimeRange) -> Bool { start < other.end && other.start < end }

    public func contains(minutes: Int) -> Bool { minutes >= start.minutes && minutes < end.minutes }

    /// "08:30-12:30"
    public var description: String { "\(start)-\(end)" }
}

import Foundation
