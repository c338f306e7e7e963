/// Minutes after local midnight, e.g. 8:30 = 510. 24:00 (1440) is allowed as the end of a range.
public struct LocalTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Minutes after midnight, 0…1440.
    public let minutes: Int

    /// nil outside 0…1440 (24:00 included, as the end of a range).
    public init?(minutes: Int) {
        guard (0...1440).contains(minutes) else { return nil }
        self.minutes = minutes
    }

    /// Parses "8:30" or "08:30"; hours 0–24, minutes 00–59, "24:00" only as the very end of a day.
    public init?(parsing text: Substring) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let h = Int(parts[0]), let m = Int(parts[1]), m < 60, h < 24 || (h == 24 && m == 0)
        else { return nil }
        self.init(minutes: h * 60 + m)
    }

    /// The hour, 0…24.
    public var hour: Int { minutes / 60 }
    /// The minute within the hour, 0…59.
    public var minute: Int { minutes % 60 }

    /// "08:30"
    public var description: String { "\(CivilDate.pad(hour, 2)):\(CivilDate.pad(minute, 2))" }

    /// Earlier times of day sort first.
    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool { lhs.minutes < rhs.minutes }
}
