import Foundation

/// The comune's patron saint's day: a local holiday every year.
public struct PatronSaint: Sendable, Hashable {
    /// Month of the holiday, 1…12.
    public var month: Int
    /// Day of the month of the holiday.
    public var day: Int
    /// The saint's name, shown as the reason the office is closed.
    public var name: String
}
