/// The security headers of every answer, the same set deploy/sportello-site.conf makes nginx add, so that
/// `sportello serve` on its own (a test install, a small comune without nginx) is as protected: pages load only
/// their own CSS and JS, post forms only to the site, are never framed, never sniffed, leak no referrer.
/// Behind nginx the endpoint's copies are hidden (`proxy_hide_header`) and nginx's are sent, once.
public enum SecurityHeaders {
    /// The headers, in the order they are sent.
    public static let all: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=(), usb=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    /// `response` with each security header it does not already carry.
    public static func added(to response: HTTPResponse) -> HTTPResponse {
        var response = response
        let count = response.headers.count
        for header in all {
            // Compared in place: this runs for every answer, and static pages already carry them all.
            let present = response.headers[0..<count].contains { asciiCaseInsensitiveEquals($0.0, header.0) }
            if !present { response.headers.append(header) }
        }
        return response
    }
}
