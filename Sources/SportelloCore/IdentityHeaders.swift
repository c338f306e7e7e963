import Foundation

/// Names of the request headers in which the authenticating reverse proxy passes a certified identity.
/// They are believed only from `booking.trustedProxies`, and only when the request also carries the secret
/// shared with the proxy: any other process on a trusted address (a local user, a compromised service)
/// cannot pose as the proxy.
public struct IdentityHeaders: Sendable, Equatable {
    public var codiceFiscale = "X-Identity-Fiscal-Number"
    public var givenName = "X-Identity-Given-Name"
    public var familyName = "X-Identity-Family-Name"
    public var email: String? = "X-Identity-Email"
    public var phone: String? = "X-Identity-Mobile"
    /// Whether citizens may also register Sportello's own credentials; a comune with SPID/CIE may turn them off.
    public var localAccounts = true
    /// Where the gateway starts a SPID (CIE) sign-in. "{return}" is replaced by the percent-encoded path to
    /// come back to; without it, `return=<path>` is added to the query. nil = no button.
    public var spidLoginURL: String?
    public var cieLoginURL: String?
    /// The header in which the proxy sends `proxySecret`.
    public var proxySecretHeader = "X-Sportello-Proxy-Secret"
    /// Shared with the proxy (`identity.proxySecret`, or read from `identity.proxySecretFile`). Empty: identity
    /// headers are never believed.
    public var proxySecret = ""

    /// Shortest secret accepted: 16 characters (a random one of 32 or more is better).
    public static let minimumSecretLength = 16

    public init() {}
}
