import Foundation

/// After `absences` no-shows within `withinDays`, a codice fiscale cannot book for `blockDays` from the last one.
public struct NoShowPolicy: Sendable, Hashable {
    /// Missed appointments that trigger the block.
    public var absences: Int
    /// The window, in days back from now, in which the absences are counted.
    public var withinDays: Int
    /// How long the block lasts, counted from the last absence.
    public var blockDays: Int

    /// A rule as the configuration states it; the loader checks the numbers are positive.
    public init(absences: Int, withinDays: Int, blockDays: Int) {
        self.absences = absences
        self.withinDays = withinDays
        self.blockDays = blockDays
    }
}
