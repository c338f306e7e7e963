import Foundation

/// The comune's patron saint's day: a local holiday every year.
public struct PatronSaint: Sendable, Hashable {
    public var month: Int
    public var day: Int
    public var name: String
}
