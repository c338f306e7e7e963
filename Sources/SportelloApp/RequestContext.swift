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
        wantsJSON = Self.mentions("application/json", in: request.headers["Accept"] ?? "")
        clientAddress = Self.clientAddress(of: request, configuration: configuration)
        let languages = configuration.comune.languages
        let accept = (request.headers["Accept-Language"] ?? "").lowercased()
        language = languages.first { accept.hasPrefix($0) } ?? configuration.comune.language
    }

    /// Whether `text` contains `needle`, compared as bytes: Foundation's `contains` bridges both to NSString,
    /// on every request.
    static func mentions(_ needle: String, in text: String) -> Bool {
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { needle in
                guard let first = needle.first, haystack.count >= needle.count else { return false }
                for start in 0...(haystack.count - needle.count) where haystack[start] == first {
                    var offset = 1
                    while offset < needle.count, haystack[start + offset] == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                return false
            }
        }
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
