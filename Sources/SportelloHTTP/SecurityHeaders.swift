/// The security headers of every answer, the same set deploy/sportello-site.conf makes nginx add, so that
/// `sportello serve` on its own (a test install, a small comune without nginx) is as protected: pages load only
/// their own CSS and JS, post forms only to the site, are never framed, never sniffed, leak no referrer.
/// Behind nginx the endpoint's copies are hidden (`proxy_hide_header`) and nginx's are sent, once.
public enum SecurityHeaders {
    public static let all: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=(), usb=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    /// `response` with each security header it does not already carry.
    public static func added(to response: HTTPResponse) -> HTTPResponse {
        var response = response
        let present = Set(response.headers.map { $0.0.lowercased() })
        for header in all where !present.contains(header.0.lowercased()) { response.headers.append(header) }
        return response
    }
}
