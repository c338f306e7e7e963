import SportelloCore
import SportelloHTTP

/// What the endpoint knows about a request before reading its form.
struct RequestContext {
    var language: String
    let wantsJSON: Bool
    let clientAddress: String
    /// Who is signed in (an account's session, or a certified identity from the proxy), if anyone.
    var citizen: Citizen?
    /// The beneficiary chosen on the service page before a slot ("Prenota per un'altra persona"), if any.
    var chosenBeneficiary: String?
    /// The anonymous browser session cookie, when the browser sent one (see `ClientLimits`).
    var visitor: String?
    /// What per-address limits count under: an IPv6 client by its /64, which it can rotate addresses inside.
    var clientKey: String { ClientKey.of(clientAddress) }

    init(request: HTTPRequest, configuration: SiteConfiguration) {
        // Searched as bytes: Foundation's `contains` bridges to NSString on every request.
        wantsJSON = (request.headers["Accept"] ?? "").utf8.firstRange(of: "application/json".utf8) != nil
        clientAddress = Self.clientAddress(of: request, configuration: configuration)
        let languages = configuration.comune.languages
        let accept = (request.headers["Accept-Language"] ?? "").lowercased()
        language = languages.first { accept.hasPrefix($0) } ?? configuration.comune.language
    }

    static func clientAddress(of request: HTTPRequest, configuration: SiteConfiguration) -> String {
        let address = request.remoteAddress
        if configuration.booking.isTrustedProxy(address),
            let forwarded = request.headers["X-Forwarded-For"]?.split(separator: ",").last?.trimmingCharacters(
                in: .whitespaces),
            !forwarded.isEmpty
        {
            return forwarded
        }
        return address
    }
}

extension RequestContext {
    init(language: String) {
        self.language = language
        wantsJSON = false
        clientAddress = ""
    }
}
