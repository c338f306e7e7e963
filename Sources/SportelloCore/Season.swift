import Foundation

/// A season with its own weekly hours (summer hours), every year from one day to another (MM-DD, inclusive).
public struct Season: Sendable, Hashable {
    /// The first day of the season (MM-DD), every year.
    public var from: MonthDay
    /// The last day of the season, inclusive; before `from` when the season runs over New Year.
    public var to: MonthDay
    /// The weekly hours in force during the season, replacing the usual ones.
    public var schedule: [Weekday: [TimeRange]]
    /// Breaks during the season; nil keeps the usual pauses.
    public var pauses: [TimeRange]?

    /// Whether the season is in force on `date`.
    public func covers(_ date: CivilDate) -> Bool { covers(MonthDay(month: date.month, day: date.day)) }

    /// A season may run over New Year ("12-15" to "01-15").
    public func covers(_ day: MonthDay) -> Bool { from <= to ? (from <= day && day <= to) : (day >= from || day <= to) }
}
