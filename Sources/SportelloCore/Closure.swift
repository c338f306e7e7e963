import Foundation

/// Days when offices are closed: the whole comune (no `services`) or only some services (and their sub-services).
public struct Closure: Sendable, Hashable {
    /// The first closed day.
    public var from: CivilDate
    /// The last closed day, inclusive (the same as `from` for a single day).
    public var to: CivilDate
    /// Why the offices are closed, shown to citizens on the week pages.
    public var reason: String
    /// The services (or offices, with everything under them) that are closed; empty for the whole comune.
    public var serviceIDs: [String]

    /// Whether `date` falls within the closure.
    public func covers(_ date: CivilDate) -> Bool { from <= date && date <= to }
}
