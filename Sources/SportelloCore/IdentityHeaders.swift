import Foundation

/// Names of the request headers in which the authenticating reverse proxy passes a certified identity.
/// They are believed only from `booking.trustedProxies`, and only when the request also carries the secret
/// shared with the proxy: any other process on a trusted address (a local user, a compromised service)
/// cannot pose as the proxy.
public struct IdentityHeaders: Sendable, Equatable {
    /// The header carrying the citizen's codice fiscale, the identity bookings are counted against.
    public var codiceFiscale = "X-Identity-Fiscal-Number"
    /// The header carrying the citizen's given name.
    public var givenName = "X-Identity-Given-Name"
    /// The header carrying the citizen's family name.
    public var familyName = "X-Identity-Family-Name"
    /// The header carrying a certified email address; nil = the proxy sends none.
    public var email: String? = "X-Identity-Email"
    /// The header carrying a certified mobile number; nil = the proxy sends none.
    public var phone: String? = "X-Identity-Mobile"
    /// Whether citizens may also register Sportello's own credentials; a comune with SPID/CIE may turn them off.
    public var localAccounts = true
    /// Where the gateway starts a SPID (CIE) sign-in. "{return}" is replaced by the percent-encoded path to
    /// come back to; without it, `return=<path>` is added to the query. nil = no button.
    public var spidLoginURL: String?
    /// Where the gateway starts a CIE sign-in, with the same "{return}" rule as `spidLoginURL`; nil = no button.
    public var cieLoginURL: String?
    /// The header in which the proxy sends `proxySecret`.
    public var proxySecretHeader = "X-Sportello-Proxy-Secret"
    /// Shared with the proxy (`identity.proxySecret`, or read from `identity.proxySecretFile`). Empty: identity
    /// headers are never believed.
    public var proxySecret = ""

    /// Shortest secret accepted: 16 characters (a random one of 32 or more is better).
    public static let minimumSecretLength = 16

    /// The defaults: the header names above, local accounts on, no login buttons, no secret (identity off).
    public init() {}
}
