import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloApp

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A test clock the test moves by hand.
final class TestClock: Sendable {
    let now: Mutex<Int64>
    init(_ start: Int64) { now = Mutex(start) }
    func advance(_ seconds: Int64) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Int64 { { [self] in now.withLock { $0 } } }
}

struct Reply {
    let status: Int
    let body: String
    let headers: [AnyHashable: Any]
}

/// The fixture comune (`FixtureComune`) served by a real `HTTPServer` on a free port, with its own output folder and database.
final class RunningSite: Sendable {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-app-\(UUID().uuidString)")
        .path
    let clock: TestClock
    let application: Application
    let server: HTTPServer
    let store: BookingStore
    /// The publisher's lanes only: delivery and the ticker stay off, the tests drive them.
    let publishing: ServiceGroup
    let published = Locked(0)
    var base: String { "http://127.0.0.1:\(server.port)" }

    init(now: Int64, configure: (inout SiteConfiguration) -> Void = { _ in }) throws {
        clock = TestClock(now)
        let options = FixtureComune.options(in: folder)
        var configuration = try SiteConfiguration.load(path: options.configPath)
        configuration.booking.requestsPerMinutePerAddress = 0  // the tests come from one address
        configuration.limits = .unlimited  // ditto; the limits' own tests set them
        configure(&configuration)
        let site = try LoadedSite(configuration: configuration, options: options)
        let counter = published
        (application, _) = try site.openApplication(
            clock: clock.read, onPublished: { _ in counter.withLock { $0 += 1 } })
        store = application.store
        publishing = ServiceGroup(application.queue.lanes)
        publishing.start()
        let app = application
        server = HTTPServer(port: 0, responder: application, errorPage: { app.errorResponse(status: $0) })
        try server.start()
    }

    func stop() {
        server.stop()
        publishing.stop()
        TemporaryFolder.removeTree(folder)
    }

    func request(
        _ method: String, _ path: String, form: [String: String] = [:], json: Bool = false,
        origin: String? = "http://127.0.0.1:8080", headers: [String: String] = [:], follow: Bool = true
    ) throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        if method == "POST" {
            request.httpBody = Data(
                form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                    .joined(separator: "&").utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        if let origin { request.setValue(origin, forHTTPHeaderField: "Origin") }
        if json { request.setValue("application/json", forHTTPHeaderField: "Accept") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("it-IT,it;q=0.9", forHTTPHeaderField: "Accept-Language")
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Result<Reply, any Error>?>(nil)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        session.dataTask(with: request) { data, response, error in
            if let error {
                result.withLock { $0 = .failure(error) }
            } else if let http = response as? HTTPURLResponse {
                let reply = Reply(
                    status: http.statusCode, body: String(decoding: data ?? Data(), as: UTF8.self),
                    headers: http.allHeaderFields)
                result.withLock { $0 = .success(reply) }
            }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        guard let outcome = result.withLock({ $0 }) else { throw TestFailure("no response") }
        let reply = try outcome.get()
        return method == "POST" && follow ? try following(reply, headers: headers) : reply
    }

    /// The page a browser lands on after a form's `303 See Other` to `/api/page` (redirect-after-POST), with the
    /// POST's own cookies as the answer's (less the page cookie of the redirect, which only names the browser).
    func following(_ reply: Reply, headers: [String: String]) throws -> Reply {
        guard reply.status == 303, let location = reply.headers["Location"] as? String,
            location.hasPrefix("/api/page?p=")
        else { return reply }
        let setCookie = reply.headers["Set-Cookie"] as? String ?? ""
        let pageCookie = extract("\(PageSnapshots.cookieName)=[0-9a-f]{32}", from: setCookie)
        var sent = headers
        if let pageCookie {
            sent["Cookie"] = [headers["Cookie"], pageCookie].compactMap { $0 }.joined(separator: "; ")
        }
        let shown = try request("GET", location, headers: sent)
        var merged = shown.headers
        let ownCookies = setCookie.components(separatedBy: ", ")
            .filter { !$0.isEmpty && !$0.hasPrefix(PageSnapshots.cookieName + "=") }.joined(separator: ", ")
        merged["Set-Cookie"] = ownCookies.isEmpty ? nil : ownCookies
        return Reply(status: shown.status, body: shown.body, headers: merged)
    }

    func post(
        _ path: String, _ form: [String: String], json: Bool = false, headers: [String: String] = [:]
    ) throws -> Reply {
        try request("POST", path, form: form, json: json, headers: headers)
    }

    func file(_ relative: String) -> String {
        (try? String(contentsOfFile: "\(folder)/output/\(relative)", encoding: .utf8)) ?? ""
    }

    /// Waits (up to 5 s) until the publisher has made `condition` true.
    @discardableResult
    func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while !condition() && Date() < deadline { usleep(2_000) }
        return condition()
    }
}

final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func rome(_ day: String, _ time: String) -> Int64 {
    RomeTime.instant(date: CivilDate(iso: day)!, minutes: LocalTime(parsing: Substring(time))!.minutes)!
}

func extract(_ pattern: String, from text: String) -> String? {
    guard let range = text.range(of: pattern, options: .regularExpression) else { return nil }
    return String(text[range])
}

let person = [
    "nome": "Maria Chiara", "cognome": "D'Alessandro", "codice_fiscale": "RSSMRA85T10A562S",
    "email": "maria@example.it",
    "cellulare": "333 123 4567",
]

@Suite(.serialized) struct EndpointTests {
    // Wednesday 25 November 2026, 08:00; Thursday 26th 09:10 is a free identity-card slot (capacity 2).
    let now = rome("2026-11-25", "08:00")
    let slot = rome("2026-11-26", "09:10")

    @Test func theWholeFlowOverHTTPUpdatesTheWeekPage() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let week = "servizi/carta-identita/2026-W48.html"
        #expect(site.file(week).contains("name=\"slot\" value=\"\(slot)\""))

        let hold = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot), "lang": "it"])
        #expect(hold.status == 200)
        #expect(hold.body.contains("fino alle 08:10"))
        #expect(hold.body.contains("data-expires=\"\(now + 600)\""))
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))

        // Two held, one by us: the slot is still free for one more.
        let second = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot)], json: true)
        #expect(second.status == 201)
        #expect(site.eventually { !site.file(week).contains("name=\"slot\" value=\"\(slot)\"") })
        #expect(site.file(week).contains("In prenotazione"))

        var fields = person
        fields["hold"] = token
        fields["codice_fiscale"] = "RSSMRA85T10A562X"
        let wrong = try site.post("/api/review", fields)
        #expect(wrong.status == 422)
        #expect(wrong.body.contains("l&#39;ultimo carattere non corrisponde"))
        #expect(wrong.body.contains("value=\"D&#39;Alessandro\""))  // what was typed stays, escaped

        fields["codice_fiscale"] = "rssmra85t10a562s"
        let summary = try site.post("/api/review", fields)
        #expect(summary.status == 200)
        #expect(
            summary.body.contains("Riepilogo") && summary.body.contains("<dd>RSSMRA85T10A562S</dd>")
                && summary.body.contains("<dd>+393331234567</dd>"))

        let confirmed = try site.post("/api/bookings", fields)
        #expect(confirmed.status == 201)
        let code = try #require(
            extract("booking-code\">[A-Z0-9]{8}", from: confirmed.body).map { String($0.suffix(8)) })
        #expect(confirmed.body.contains("data:text/calendar"))
        #expect(confirmed.body.contains("calendar.google.com"))
        #expect(confirmed.body.contains("Fototessera") || confirmed.body.contains("fototessera"))

        let again = try site.post("/api/bookings", fields, json: true)
        #expect(again.status == 201)
        #expect(again.body.contains("\"code\":\"\(code)\""))

        #expect(
            site.eventually {
                site.file(week).contains("<li class=\"held\">")
                    && !site.file(week).contains("name=\"slot\" value=\"\(slot)\"")
            })
        // "Annulla" first shows what would be cancelled; only "Conferma annullamento" cancels.
        let asked = try site.post(
            "/api/cancellations", ["code": code.lowercased(), "codice_fiscale": "RSSMRA85T10A562S"])
        #expect(asked.status == 200 && asked.body.contains("Conferma annullamento") && asked.body.contains(code))
        #expect(try site.store.booking(code: code)?.state == .booked)
        let cancelled = try site.post(
            "/api/cancellations", ["code": code.lowercased(), "codice_fiscale": "RSSMRA85T10A562S", "confirm": "1"])
        #expect(cancelled.status == 200)
        #expect(cancelled.body.contains("Prenotazione annullata"))
        let other = try site.post(
            "/api/cancellations", ["code": code, "codice_fiscale": "VRDGPP80A01H501U"], json: true)
        #expect(other.status == 404)
        #expect(other.body.contains("\"error\":\"booking_not_found\""))

        // The other hold runs out: after the tick the slot shows free again, without anyone acting.
        site.application.tick()
        site.clock.advance(601)
        site.application.tick()
        #expect(site.eventually { site.file(week).contains("name=\"slot\" value=\"\(slot)\"") })

        // No personal data anywhere in the public site.
        let output = "\(site.folder)/output"
        for path in try FileManager.default.subpathsOfDirectory(atPath: output) where path.hasSuffix(".html") {
            let text = (try? String(contentsOfFile: "\(output)/\(path)", encoding: .utf8)) ?? ""
            for secret in ["RSSMRA85T10A562S", "maria@example.it", "Alessandro", code, "3331234567"] {
                #expect(!text.contains(secret), "\(secret) in \(path)")
            }
        }
    }

    @Test func fiftyClientsRacingForTheLastPlacesGetExactlyTwoBookings() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let statuses = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 50) { index in
            do {
                let hold = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot)], json: true)
                guard hold.status == 201, let token = extract("[0-9a-f]{32}", from: hold.body) else {
                    statuses.withLock { $0.append(hold.status) }
                    return
                }
                var fields = person
                fields["hold"] = token
                fields["email"] = "p\(index)@example.it"
                let booking = try site.post("/api/bookings", fields, json: true)
                statuses.withLock { $0.append(booking.status) }
            } catch {
                statuses.withLock { $0.append(-1) }
            }
        }
        let result = statuses.withLock { $0 }
        #expect(result.filter { $0 == 201 }.count == 2)
        #expect(result.filter { $0 == 409 }.count == 48)
        #expect(try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings") } == 2)
    }

    @Test func everyFailureHasAClearAnswer() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let get = try site.request("GET", "/api/holds")
        #expect(get.status == 405)
        #expect(get.headers["Allow"] as? String == "POST")
        #expect(try site.request("GET", "/").status == 200)
        #expect(try site.request("GET", "/servizi/nessuno/").status == 404)
        #expect(
            try site.request(
                "POST", "/api/holds", form: ["service": "carta-identita", "slot": String(slot)],
                origin: "https://evil.example"
            ).status == 403)

        func error(_ path: String, _ form: [String: String]) throws -> (Int, String) {
            let reply = try site.post(path, form, json: true)
            let code = extract("\"error\":\"[a-z_]+\"", from: reply.body)?.split(separator: "\"")[2] ?? ""
            return (reply.status, String(code))
        }
        #expect(try error("/api/holds", ["service": "nessuno", "slot": "1"]) == (404, "unknown_service"))
        #expect(try error("/api/holds", ["service": "carta-identita", "slot": "abc"]) == (422, "unknown_slot"))
        #expect(
            try error("/api/holds", ["service": "carta-identita", "slot": String(slot + 60)]) == (422, "unknown_slot"))
        #expect(
            try error("/api/holds", ["service": "carta-identita", "slot": String(rome("2026-11-25", "09:10"))]) == (
                409, "slot_past"
            ))
        #expect(
            try error("/api/holds", ["service": "carta-identita", "slot": String(rome("2027-02-02", "09:10"))]) == (
                409, "slot_not_yet_bookable"
            ))
        #expect(try error("/api/bookings", ["hold": "0123"]) == (404, "hold_not_found"))
        #expect(try error("/api/cancellations", ["code": "ABCDEFGH"]) == (422, "invalid_fields"))
        #expect(try error("/api/nothing", [:]) == (404, "not_found"))
        #expect(
            try error("/api/holds", ["service": "carta-identita", "slot": String(slot), "website": "spam"]) == (
                400, "bad_form"
            ))
    }

    /// A full slot offers the nearest free ones as buttons; API clients get them as data, searched once and
    /// then re-checked (not searched again) while the writes in between leave them free.
    @Test func aFullSlotOffersTheNearestFreeOnes() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        for _ in 0..<2 { _ = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot)]) }
        let full = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot)])
        #expect(full.status == 409)
        #expect(full.body.contains("Posto appena preso"))
        #expect(full.body.contains("name=\"slot\" value=\"\(rome("2026-11-26", "09:30"))\""))
        #expect(full.body.contains("href=\"/servizi/carta-identita/2026-W48.html\""))

        // API clients get the same way on: the requested slot and the nearest free ones, ready to hold.
        func alternatives() throws -> [Int64] {
            let answer = try site.post("/api/holds", ["service": "carta-identita", "slot": String(slot)], json: true)
            #expect(answer.status == 409)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
            #expect(body["error"] as? String == "slot_full")
            #expect((body["slot"] as? NSNumber)?.int64Value == slot)
            let offered = try #require(body["alternatives"] as? [[String: Any]])
            for item in offered {
                #expect(item["service"] as? String == "carta-identita" && !(item["text"] as? String ?? "").isEmpty)
            }
            return offered.compactMap { ($0["slot"] as? NSNumber)?.int64Value }
        }
        let next = rome("2026-11-26", "09:30")
        #expect(try alternatives().first == next)
        // Within the same second, a place taken meanwhile is no longer offered (no stale answer is reused).
        for _ in 0..<2 {
            #expect(
                try site.post("/api/holds", ["service": "carta-identita", "slot": String(next)], json: true).status
                    == 201)
        }
        let offeredNow = try alternatives()
        #expect(!offeredNow.contains(next))
        #expect(offeredNow.count == 5)
        // A write that takes none of them (a place of another service), in the same second: the answer is
        // checked against the slots it spans and kept, not searched for again over two weeks.
        let counted = site.application.alternatives.counts
        #expect(
            try site.post("/api/holds", ["service": "tari", "slot": String(rome("2026-11-27", "10:00"))], json: true)
                .status == 201)
        #expect(try alternatives() == offeredNow)
        #expect(site.application.alternatives.counts.revalidations == counted.revalidations + 1)
        #expect(site.application.alternatives.counts.searches == counted.searches)
        // One of them taken: the rest of the two weeks is searched again.
        let second = try #require(offeredNow.first)
        var lastHold = ""
        while true {
            let taken = try site.post("/api/holds", ["service": "carta-identita", "slot": String(second)], json: true)
            guard taken.status == 201 else { break }
            lastHold = extract("[0-9a-f]{32}", from: taken.body) ?? ""
        }
        let searched = site.application.alternatives.counts.searches
        let afterTaken = try alternatives()
        #expect(
            !afterTaken.contains(second) && afterTaken.count == 5 && afterTaken.first == offeredNow.dropFirst().first)
        #expect(site.application.alternatives.counts.searches == searched + 1)
        // A second later (a hold may have run out without a write) the answer is checked again, not searched.
        site.clock.advance(1)
        let kept = site.application.alternatives.counts
        #expect(try alternatives() == afterTaken)
        #expect(
            site.application.alternatives.counts.revalidations == kept.revalidations + 1
                && site.application.alternatives.counts.searches == kept.searches)
        // A place freed inside the answer's span is found by the check and offered again, nearest first.
        #expect(try site.post("/api/holds/release", ["hold": lastHold], json: true).status == 200)
        #expect(try alternatives() == offeredNow)
        #expect(site.application.alternatives.counts.searches == kept.searches)
    }

    @Test func anExpiredHoldCannotBeConfirmed() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let hold = try site.post(
            "/api/holds", ["service": "tari", "slot": String(rome("2026-11-27", "09:00"))], json: true)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        site.clock.advance(601)
        // Someone else takes the freed place (a place still free is held again: FormFieldTests).
        let other = try site.post(
            "/api/holds", ["service": "tari", "slot": String(rome("2026-11-27", "09:00"))], json: true)
        #expect(other.status == 201)
        var fields = person
        fields["hold"] = token
        let late = try site.post("/api/review", fields)
        #expect(late.status == 410)
        #expect(late.body.contains("Tempo scaduto"))
    }

    @Test func langEnAnswersWithEnglishPages() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let english = try site.post(
            "/api/holds", ["service": "carta-identita", "slot": String(rome("2026-11-26", "11:10")), "lang": "en"])
        #expect(english.body.contains("Your details"))
    }

    /// Regression: a JSON or multipart body was decoded as a form and answered "unknown service" (its fields
    /// looked missing); text/plain, which a cross-site page may send, was read as a form.
    @Test func onlyAFormIsReadAsAForm() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let form = ["service": "carta-identita", "slot": String(slot)]
        for type in [
            "application/json", "multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencodedx",
        ] {
            let reply = try site.post("/api/holds", form, json: true, headers: ["Content-Type": type])
            #expect(
                reply.status == 400 && reply.body.contains("\"error\":\"bad_form\""),
                "\(type): \(reply.status) \(reply.body)")
        }
        #expect(
            try site.post(
                "/api/holds", form, json: true,
                headers: ["Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"]
            ).status == 201)
    }

    @Test func releasingAHoldRedirectsToTheWeekAndFreesTheSlot() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let hold = try site.post(
            "/api/holds", ["service": "edilizia", "slot": String(rome("2026-11-26", "15:00"))], json: true)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        #expect(
            try site.post(
                "/api/holds", ["service": "edilizia", "slot": String(rome("2026-11-26", "15:00"))], json: true
            ).status == 409)
        let released = try site.post("/api/holds/release", ["hold": token])
        #expect(released.status == 303)
        #expect(released.headers["Location"] as? String == "/servizi/edilizia/2026-W48.html")
        #expect(
            try site.post(
                "/api/holds", ["service": "edilizia", "slot": String(rome("2026-11-26", "15:00"))], json: true
            ).status == 201)
    }
}

extension IdentityHeaders {
    /// The identity proxy of the tests: the default header names, with the secret it shares with Sportello.
    static var testProxy: IdentityHeaders {
        var proxy = IdentityHeaders()
        proxy.proxySecret = "secret-shared-with-the-proxy"
        return proxy
    }
}
