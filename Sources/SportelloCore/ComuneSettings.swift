import Foundation

/// The `comune` section of the configuration: who runs the site, where it lives, how citizens reach the office.
public struct ComuneSettings: Sendable {
    /// The comune's name as pages and messages show it ("Comune di …").
    public var name: String
    /// Origin and path prefix of the public site, e.g. "https://prenota.comune.example.it". No trailing slash.
    public var baseURL: String
    /// The first is the site's main language (served at the root), the others under "/<lang>/".
    public var languages: [String]
    /// Always "Europe/Rome": the loader refuses any other, since slots are computed in Italian civil time.
    public var timeZone: String
    /// Contacts shown on every page and in messages, so a citizen who cannot book online knows whom to call.
    public var tollFreeNumber: String?
    /// The office's phone number; nil = not shown.
    public var phone: String?
    /// The office's email address for questions; nil = not shown.
    public var email: String?
    /// The comune's own website, linked from the pages; nil = no link.
    public var website: String?
    /// The local holiday every office of the comune closes for; nil = none configured.
    public var patronSaint: PatronSaint?

    /// The site's main language, served at the root (Italian when none is listed).
    public var language: String { languages.first ?? "it" }
    /// Origin ("scheme://host[:port]") of `baseURL`, compared with the Origin header of POSTs.
    public var origin: String {
        guard let url = URL(string: baseURL), let scheme = url.scheme, let host = url.host else { return baseURL }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    /// `baseURL` as browsers write an origin: scheme and host in lower case, the default port (80 for http,
    /// 443 for https) left out, no trailing slash; nil when it is not an http(s) address.
    /// `https://Prenota.Example.it:443/` becomes `https://prenota.example.it`.
    public static func normalizedBaseURL(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme),
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil, components.password == nil,
            components.query == nil, components.fragment == nil
        else { return nil }
        var result = "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)"
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            result += ":\(port)"
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        return result + path
    }

    /// An Origin header (or a Referer's origin part) in the same normal form, for the comparison with `origin`.
    public static func normalizedOrigin(_ text: String) -> String? {
        guard let normalized = normalizedBaseURL(text), let components = URLComponents(string: normalized) else {
            return nil
        }
        let path = components.percentEncodedPath
        return path.isEmpty ? normalized : String(normalized.dropLast(path.count))
    }
    /// Path prefix of `baseURL` ("" at the root of the host).
    public var basePath: String {
        guard let url = URL(string: baseURL) else { return "" }
        let path = url.path
        return path == "/" ? "" : (path.hasSuffix("/") ? String(path.dropLast()) : path)
    }
}
