import Foundation

/// A day of the year, for rules that repeat every year.
public struct MonthDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1…12.
    public var month: Int
    /// 1…31.
    public var day: Int

    /// Earlier in the calendar year sorts first.
    public static func < (lhs: MonthDay, rhs: MonthDay) -> Bool { (lhs.month, lhs.day) < (rhs.month, rhs.day) }
    /// "MM-DD", as the configuration writes it.
    public var description: String { "\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)" }
}
