import Foundation

/// The `booking` section of the configuration: how holds, accounts, limits and proxies work for every service.
public struct BookingSettings: Sendable {
    /// How long a slot stays held for a citizen filling in the form before it goes back on offer.
    public var holdMinutes: Int = 10
    /// How many weeks ahead the site publishes week pages for each service.
    public var weeksPublished: Int = 13
    /// CUPweb style (an account is needed to book) or the portal's manual anagrafica.
    public var requireAccount: Bool = false
    /// Active future bookings one codice fiscale may hold for the same service; nil = no limit.
    public var maxActiveBookingsPerPerson: Int? = 2
    /// Booking requests (POST) one client address may make per minute; 0 turns the limit off.
    public var requestsPerMinutePerAddress: Int = 60
    /// Addresses or CIDR networks of reverse proxies (nginx) whose X-Forwarded-For is believed.
    public var trustedProxies: [String] = ["127.0.0.1", "::1"] {
        didSet { trustedProxyRanges = trustedProxies.compactMap(AddressRange.init(parsing:)) }
    }
    /// `trustedProxies` parsed once, so that each request's check does not re-parse them.
    public private(set) var trustedProxyRanges: [AddressRange] = ["127.0.0.1", "::1"].compactMap(
        AddressRange.init(parsing:))

    /// Whether a connection from `address` comes from one of `trustedProxies` (an address or inside a network).
    public func isTrustedProxy(_ address: String) -> Bool {
        trustedProxies.contains(address) || trustedProxyRanges.contains { $0.contains(address) }
    }
    /// Repeated no-shows keep a codice fiscale from booking for a while; nil = no such rule.
    public var noShowPolicy: NoShowPolicy?
    /// A booking made without SPID/CIE is confirmed only after the citizen types a one-time code sent to the
    /// contact they gave; services may override it (`verifyContact` on a service).
    public var verifyContact = false
}
