import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite

/// The request steps of the endpoint, in the order the router runs them (see `Application.steps(for:)`).
extension RequestStep {
    /// Under `/api/` only a POST is a form; a GET may only show what the identity gateway comes back to
    /// (`EndpointRoute.answersGET`), and health answers GET and HEAD before any step. 405 with `Allow` otherwise.
    static let methodAllowed = RequestStep("method") { request in
        let method = request.http.method
        let route = request.route
        let showing = method == "GET" && route?.answersGET == true
        guard method == "POST" || showing, route != .health else {
            return RequestRefusal(error: .methodNotAllowed, headers: [("Allow", route?.allowHeader ?? "POST")])
        }
        return nil
    }

    /// Requests per minute per client address (`booking.requestsPerMinutePerAddress`); nil `limiter`: no limit.
    static func addressRate(_ limiter: RateLimiter?, clock: @escaping @Sendable () -> Int64) -> RequestStep {
        RequestStep("rate") { request in
            guard let limiter, !limiter.allow(request.context.clientKey, now: Double(clock())) else { return nil }
            return RequestRefusal(error: .rateLimited, headers: [("Retry-After", "60")])
        }
    }

    /// State-changing POSTs must come from the site's own pages (`expected`: the comune's origin), or from an
    /// API client that sends no Origin and no Referer, such as curl or a server-side integration.
    static func sameOrigin(_ expected: String) -> RequestStep {
        RequestStep("origin") { request in
            guard !originIsAllowed(request.http, expected: expected) else { return nil }
            // The most common misconfiguration (site opened at another address than baseURL): say which.
            let http = request.http
            let sent = http.headers["Origin"] ?? http.headers["Referer"] ?? ""
            Log.warning(
                "refused",
                [
                    "reason": "bad_origin", "path": .text(String(http.path.prefix(200))),
                    "origin": .text(String(sent.prefix(200))),
                    "expected": .text(expected),
                    "client": .text(Log.anonymizedAddress(request.context.clientAddress)),
                ])
            return RequestRefusal(error: .badOrigin)
        }
    }

    static func originIsAllowed(_ request: HTTPRequest, expected: String) -> Bool {
        if let origin = request.headers["Origin"] {
            return origin == expected || ComuneSettings.normalizedOrigin(origin) == expected
        }
        if let referer = request.headers["Referer"] {
            if referer == expected || referer.hasPrefix(expected + "/") { return true }
            // The Referer's own origin, compared in normal form (case, default port).
            guard let components = URLComponents(string: referer), let scheme = components.scheme,
                let host = components.host
            else { return false }
            return ComuneSettings.normalizedOrigin("\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")")
                == expected
        }
        return true
    }

    /// Only a form is read as a form: a JSON or multipart body decoded as one would be answered as if its
    /// fields were missing ("unknown service"), and text/plain is what a cross-site page can send unpreflighted.
    static let formContentType = RequestStep("content type") { request in
        guard let type = request.http.headers["Content-Type"] else { return nil }
        // The usual ASCII value is compared as bytes; anything else goes through Foundation as before.
        let bytes = type.utf8.prefix { $0 != UInt8(ascii: ";") }
        if type.utf8.first != UInt8(ascii: ";"), bytes.allSatisfy({ $0 < 0x80 }) {
            let media = bytes.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
            let expected = "application/x-www-form-urlencoded".utf8.reversed()
            let matches = media.elementsEqual(expected) { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
            return matches ? nil : RequestRefusal(error: .badForm)
        }
        let mediaType = type.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == "application/x-www-form-urlencoded" ? nil : RequestRefusal(error: .badForm)
    }

    /// The body, decoded by the one form decoder (`FormDecoder`); undecodable bytes are a bad form.
    static let formDecoded = RequestStep("form") { request in
        do {
            request.fields = try FormDecoder.decode(request.http.body)
        } catch {
            return RequestRefusal(error: .badForm)
        }
        return nil
    }

    /// The query of a GET the identity gateway sends back (the hold, the page's language); an undecodable one
    /// reads as empty, as the page it shows needs none of it to be useful.
    static let queryDecoded = RequestStep("query") { request in
        request.fields = (try? FormDecoder.decode(query: request.http.query ?? "")) ?? FormFields()
        return nil
    }

    /// The page's language (`lang`), when it is one of the comune's; otherwise the browser's stays.
    static func language(_ languages: [String]) -> RequestStep {
        RequestStep("language") { request in
            if let language = request.fields["lang"], languages.contains(language) {
                request.context.language = language
            }
            return nil
        }
    }

    /// Who is signed in (see `CitizenIdentification`); a certified sign-in takes over a local account.
    static func identity(_ identification: CitizenIdentification) -> RequestStep {
        RequestStep("identity") { request in
            do { request.context.citizen = try identification.identify(request.http) } catch {
                return RequestRefusal(error: EndpointError(error))
            }
            identification.takeOverLocalAccount(of: request.context.citizen, request.context)
            return nil
        }
    }

    /// The endpoint's own cookies: the beneficiary chosen before a slot and the anonymous browser session.
    static let browserCookies = RequestStep("cookies") { request in
        request.context.chosenBeneficiary = request.http.cookies[BookingController.beneficiaryCookie]
        request.context.visitor = BookingController.visitor(request.http)
        return nil
    }

    /// A field people never see and never fill in: a form that fills it in is a robot's.
    static let honeypot = RequestStep("honeypot") { request in
        guard let honeypot = request.fields["website"], !honeypot.isEmpty else { return nil }
        return RequestRefusal(error: .badForm)
    }
}
