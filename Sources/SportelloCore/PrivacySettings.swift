import Foundation

public struct PrivacySettings: Sendable {
    /// Personal data of a booking is erased this many days after its appointment; counts stay for statistics.
    public var retentionDays: Int = 365
}
