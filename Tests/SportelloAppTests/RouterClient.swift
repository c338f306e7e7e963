import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

@testable import SportelloApp

/// The application answering in process, without sockets (the way Hummingbird's router tests drive an app):
/// a test builds an `HTTPRequest`, `respond` runs the whole router on it, and the test reads the
/// `HTTPResponse`. The demo comune's configuration and templates, a fresh database, no pages built.
final class RouterClient {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("sportello-router-\(UUID().uuidString)").path
    let clock: TestClock
    let application: Application
    /// Where the site's own pages post from (the demo comune's origin).
    let origin: String

    init(now: Int64 = rome("2026-11-25", "08:00"), configure: (inout SiteConfiguration) -> Void = { _ in }) throws {
        clock = TestClock(now)
        let options = FixtureComune.options(in: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var configuration = try SiteConfiguration.load(path: options.configPath)
        configuration.booking.requestsPerMinutePerAddress = 0
        configuration.limits = .unlimited
        configure(&configuration)
        origin = configuration.comune.origin
        let site = try LoadedSite(configuration: configuration, options: options)
        (application, _) = try site.openApplication(clock: clock.read, buildFirst: false)
    }

    deinit { TemporaryFolder.removeTree(folder) }

    /// The request a browser on the site's pages sends: the form url-encoded, the site's Origin, Italian.
    func request(
        _ method: String, _ target: String, form: [String: String] = [:], json: Bool = false,
        headers: [String: String] = [:], from remoteAddress: String = "127.0.0.1"
    ) -> HTTPRequest {
        var fields: [(String, String)] = [("Origin", origin), ("Accept-Language", "it-IT,it;q=0.9")]
        if method == "POST" { fields.append(("Content-Type", "application/x-www-form-urlencoded")) }
        if json { fields.append(("Accept", "application/json")) }
        for (name, value) in headers {
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            if !value.isEmpty { fields.append((name, value)) }
        }
        let body = form.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return HTTPRequest(
            method: method, target: target, headers: HTTPHeaders(fields), body: Array(body.utf8),
            remoteAddress: remoteAddress)
    }

    /// Runs the router on a request built by `request(…)`; a form's `303 See Other` to `/api/page` is followed
    /// (`follow`) unless `follow` is false.
    func respond(
        _ method: String, _ target: String, form: [String: String] = [:], json: Bool = false,
        headers: [String: String] = [:], from remoteAddress: String = "127.0.0.1", follow: Bool = true
    ) -> HTTPResponse {
        let response = application.respond(
            to: request(method, target, form: form, json: json, headers: headers, from: remoteAddress))
        return method == "POST" && follow ? self.follow(response, headers: headers, from: remoteAddress) : response
    }

    /// The page a browser lands on after a form's redirect to `/api/page` (redirect-after-POST), carrying the
    /// POST's own cookies (less the page cookie, which only names the browser).
    func follow(
        _ response: HTTPResponse, headers: [String: String] = [:], from remoteAddress: String = "127.0.0.1"
    ) -> HTTPResponse {
        guard response.status == 303, let location = response.header("Location"),
            location.hasPrefix(path(.page) + "?p=")
        else { return response }
        let pageCookie = response.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix(PageSnapshots.cookieName) }
            .map { String($0.1.prefix { $0 != ";" }) }
        var sent = headers
        if let pageCookie {
            sent["Cookie"] = [headers["Cookie"], pageCookie].compactMap { $0 }.joined(separator: "; ")
        }
        var shown = application.respond(to: request("GET", location, headers: sent, from: remoteAddress))
        shown.headers.removeAll { $0.0 == "Set-Cookie" }
        shown.headers += response.headers.filter { $0.0 == "Set-Cookie" && !$0.1.hasPrefix(PageSnapshots.cookieName) }
        return shown
    }

    /// An endpoint route's path on this site.
    func path(_ route: EndpointRoute) -> String { application.layout.api(route) }
}

extension HTTPResponse {
    /// The first value of a header (names compare case-insensitively), nil when absent.
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The error code of a JSON refusal (`{"error": code, …}`), nil for any other answer.
    var errorCode: String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return object["error"] as? String
    }
}
