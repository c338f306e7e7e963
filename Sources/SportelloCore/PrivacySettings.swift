import Foundation

/// The `privacy` section of the configuration: how long personal data is kept.
public struct PrivacySettings: Sendable {
    /// Personal data of a booking is erased this many days after its appointment; counts stay for statistics.
    public var retentionDays: Int = 365
}
