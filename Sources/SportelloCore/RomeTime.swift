/// Local civil time of Italy (Europe/Rome): CET (UTC+1) with the EU summer-time rule (CEST, UTC+2, from
/// 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October), in force since 1996.
///
/// Implemented as a rule rather than through Foundation's `TimeZone` so slot generation is pure,
/// allocation-free and identical on every machine whatever its tzdata; the tests cross-check it against
/// the system's zoneinfo for every day of several decades.
public enum RomeTime {
    /// The IANA name of the zone, for calendar files and the tests that compare with the system's tzdata.
    public static let identifier = "Europe/Rome"

    /// The instants whose local date is a supported `CivilDate`. Every function here clamps its instant to
    /// this range before any arithmetic, so it is total over `Int64` (exact inside the range, which spans
    /// about a million years either way) and an instant sent in a request can never trap it.
    /// (The first supported day at 02:00 UTC to the last at 21:59:59 UTC, as literals for the hot paths.)
    public static let supportedInstants: ClosedRange<Int64> = -31_619_087_589_600...31_494_784_773_599

    @inline(__always)
    static func clamped(_ instant: Int64) -> Int64 {
        min(max(instant, supportedInstants.lowerBound), supportedInstants.upperBound)
    }

    /// Seconds since the epoch of the summer-time start and end instants of a year.
    public static func summerTime(in year: Int) -> (start: Int64, end: Int64) {
        let year = min(max(year, CivilDate.supportedYears.lowerBound), CivilDate.supportedYears.upperBound)
        func lastSunday(month: Int) -> CivilDate {
            let last = CivilDate(year: year, month: month, day: 31)!
            return last.adding(days: -((last.weekday.isoIndex + 1) % 7))
        }
        let start = Int64(lastSunday(month: 3).dayNumber) * 86_400 + 3_600
        let end = Int64(lastSunday(month: 10).dayNumber) * 86_400 + 3_600
        return (start, end)
    }

    /// Summer-time bounds of the years slots are usually asked for, computed once: every slot of every
    /// published page needs its offset.
    static let tabulatedYears = 1996...2100
    static let summerTimes: [(start: Int64, end: Int64)] = tabulatedYears.map(summerTime(in:))

    /// Offset from UTC, in seconds, in force at an instant.
    public static func offset(at instant: Int64) -> Int64 {
        let instant = clamped(instant)
        let year = CivilDate(dayNumber: Int(floorDiv(instant + 3_600, 86_400))).year
        let summer =
            tabulatedYears.contains(year) ? summerTimes[year - tabulatedYears.lowerBound] : summerTime(in: year)
        return instant >= summer.start && instant < summer.end ? 7_200 : 3_600
    }

    /// The offset in force for the whole local day, or nil on the two days a year the clocks change.
    public static func uniformOffset(on date: CivilDate) -> Int64? {
        let midnight = Int64(date.dayNumber) * 86_400
        let first = offset(at: midnight - 7_200)
        let last = offset(at: midnight + 86_400 - 3_600)
        return first == last && offset(at: midnight - first) == first ? first : nil
    }

    /// The local date and minute of the day of an instant.
    public static func local(_ instant: Int64) -> (date: CivilDate, minutes: Int) {
        let instant = clamped(instant)
        let local = instant + offset(at: instant)
        let day = floorDiv(local, 86_400)
        return (CivilDate(dayNumber: Int(day)), Int((local - day * 86_400) / 60))
    }

    /// The instant of a local wall-clock time. Returns nil for the hour skipped in spring (02:00–02:59 on
    /// the last Sunday of March) and for minutes outside 0…1440; in autumn the repeated hour resolves to its
    /// first occurrence (summer time).
    public static func instant(date: CivilDate, minutes: Int) -> Int64? {
        guard (0...1_440).contains(minutes) else { return nil }
        let wall = Int64(date.dayNumber) * 86_400 + Int64(minutes) * 60
        for candidateOffset: Int64 in [7_200, 3_600] {
            let instant = wall - candidateOffset
            if offset(at: instant) == candidateOffset { return instant }
        }
        return nil
    }

    /// Integer division rounding towards minus infinity, so instants before 1970 fall on the right day.
    @inline(__always)
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
