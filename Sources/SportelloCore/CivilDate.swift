/// A calendar date with no time zone: what a citizen reads on a week page ("martedì 3 marzo").
///
/// Arithmetic works on a day number (days since 1970-01-01) with Howard Hinnant's civil-from-days
/// algorithms, so it is exact for the proleptic Gregorian calendar and needs no Foundation `Calendar`.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The proleptic Gregorian year (within `supportedYears`).
    public let year: Int
    /// 1…12.
    public let month: Int
    /// 1…31, always a day that exists in the month.
    public let day: Int

    /// The years day arithmetic is exact for: far beyond any booking, and small enough that day numbers,
    /// instants in seconds and their sums stay far from `Int64` overflow, so no number from a request can
    /// trap the arithmetic. Day numbers outside are clamped to the first or last supported day.
    public static let supportedYears = -999_999...999_999
    /// The day numbers of -999999-01-01 and 999999-12-31 (literals, so the hot paths pay no lazy global).
    public static let supportedDayNumbers = -365_961_662...364_522_971

    /// Returns nil when the triple is not a real date (31 April, 29 February of a common year, …).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `dayNumber` days after 1970-01-01, clamped to `supportedDayNumbers`.
    public init(dayNumber: Int) {
        let dayNumber = min(
            max(dayNumber, CivilDate.supportedDayNumbers.lowerBound), CivilDate.supportedDayNumbers.upperBound)
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Days since 1970-01-01; for a year outside `supportedYears`, the first or last supported day.
    public var dayNumber: Int {
        guard CivilDate.supportedYears.contains(year) else {
            return year < 0 ? CivilDate.supportedDayNumbers.lowerBound : CivilDate.supportedDayNumbers.upperBound
        }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The day of the week: schedules are written per weekday.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        let index = ((dayNumber % 7) + 7 + 3) % 7  // 0 = Monday
        return Weekday.allCases[index]
    }

    /// Saturates at the ends of `supportedDayNumbers` instead of overflowing.
    public func adding(days: Int) -> CivilDate {
        let (sum, overflow) = dayNumber.addingReportingOverflow(days)
        return CivilDate(dayNumber: overflow ? (days < 0 ? Int.min : Int.max) : sum)
    }

    /// The Monday of this date's ISO week.
    public var mondayOfWeek: CivilDate { adding(days: -weekday.isoIndex) }

    /// ISO 8601 week-numbering year and week (the week with the year's first Thursday is week 1).
    public var isoWeek: (year: Int, week: Int) {
        let thursday = adding(days: 3 - weekday.isoIndex)
        let firstOfYear = CivilDate(year: thursday.year, month: 1, day: 1)!
        return (thursday.year, (thursday.dayNumber - firstOfYear.dayNumber) / 7 + 1)
    }

    /// "2026-11-25"
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(10)
        appendISO(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses "YYYY-MM-DD" exactly.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Earlier dates sort first.
    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    /// Whether `year` has a 29 February (Gregorian rule).
    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// The number of days of `month` in `year` (28…31).
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `value` with leading zeros up to `width` digits ("08"), without `String(format:)`.
    public static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
