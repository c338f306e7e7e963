import Foundation

/// After `absences` no-shows within `withinDays`, a codice fiscale cannot book for `blockDays` from the last one.
public struct NoShowPolicy: Sendable, Hashable {
    public var absences: Int
    public var withinDays: Int
    public var blockDays: Int

    public init(absences: Int, withinDays: Int, blockDays: Int) {
        self.absences = absences
        self.withinDays = withinDays
        self.blockDays = blockDays
    }
}
