import Foundation

/// Caps that keep one client from squatting a service or using the comune's mail and SMS as a free relay.
/// A client is an address (IPv6 grouped by /64); a contact is an email address or a mobile number. Every
/// count is per day of Italian civil time and restarts at midnight. 0 switches a cap off.
public struct LimitSettings: Sendable, Equatable {
    /// Live holds one address may have at once. A browser's new hold also gives back its previous one.
    public var holdsPerClient = 2
    /// Bookings confirmed from one address per day.
    public var bookingsPerAddressPerDay = 10
    /// Four: a parent booking identity cards for the family from one mailbox.
    public var bookingsPerContactPerDay = 4
    /// Accounts registered from one address per day.
    public var registrationsPerAddressPerDay = 5
    /// Accounts registered with one email address or mobile number per day.
    public var registrationsPerContactPerDay = 2
    /// Credential resets asked for from one address per day.
    public var credentialResetsPerAddressPerDay = 5
    /// Credential resets sent to one email address or mobile number per day.
    public var credentialResetsPerContactPerDay = 3
    /// Messages queued for one recipient per day, whatever caused them.
    public var mailPerRecipientPerDay = 10
    /// SMS queued for one mobile number per day, whatever caused them (SMS cost the comune money).
    public var smsPerRecipientPerDay = 5
    /// Country calling codes SMS may go to; for Italy ("39") only mobile numbers (+39 3…).
    public var smsCountryCodes: [String] = ["39"]
    /// A client past a budget may still act once more by proving work (or, without JavaScript, by waiting);
    /// nil = off: past a budget, the client waits until it opens again.
    public var proofOfWork: ProofOfWorkSettings?

    /// The defaults above: caps suited to one comune's citizens.
    public init() {}

    /// Every cap off: for benchmarks and tests whose clients all come from one address.
    public static var unlimited: LimitSettings {
        var limits = LimitSettings()
        limits.holdsPerClient = 0
        limits.bookingsPerAddressPerDay = 0
        limits.bookingsPerContactPerDay = 0
        limits.registrationsPerAddressPerDay = 0
        limits.registrationsPerContactPerDay = 0
        limits.credentialResetsPerAddressPerDay = 0
        limits.credentialResetsPerContactPerDay = 0
        limits.mailPerRecipientPerDay = 0
        limits.smsPerRecipientPerDay = 0
        return limits
    }

    /// Whether an SMS may go to `phone` (as `FieldValidator.phone` writes it, "+<digits>").
    public func smsAllowed(to phone: String) -> Bool {
        guard phone.hasPrefix("+") else { return false }
        let digits = phone.dropFirst()
        return smsCountryCodes.contains { code in
            code == "39" ? digits.hasPrefix("393") : digits.hasPrefix(code)
        }
    }
}
