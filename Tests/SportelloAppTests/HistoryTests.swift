import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import Testing

@testable import SportelloApp

/// Back and forward (redirect-after-POST): a browser's form is answered `303 See Other` to a GET page that shows
/// the answer as often as it is fetched, holds no personal data in its address, and is gone after sign-out.
@Suite struct HistoryTests {
    // Thursday 26 November 2026, 09:10: a free identity-card slot (see EndpointTests).
    let slot = rome("2026-11-26", "09:10")

    /// The page cookie a redirect set, as a Cookie header.
    func pageCookie(_ response: HTTPResponse) -> String? {
        response.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix(PageSnapshots.cookieName + "=") }
            .map { String($0.1.prefix { $0 != ";" }) }
    }

    @Test func aFormIsAnsweredWithARedirectToAPageThatCanBeFetchedAgain() throws {
        let client = try RouterClient()
        let posted = client.respond(
            "POST", client.path(.holds), form: ["service": "carta-identita", "slot": String(slot)], follow: false)
        #expect(posted.status == 303)
        #expect(posted.header("Cache-Control") == "no-store")
        let location = try #require(posted.header("Location"))
        #expect(location.hasPrefix(client.path(.page) + "?p="))
        let cookie = try #require(pageCookie(posted))
        let setCookie = try #require(posted.headers.first { $0.1.hasPrefix(cookie) }?.1)
        #expect(
            setCookie.contains("HttpOnly") && setCookie.contains("Path=/api/") && setCookie.contains("SameSite=Lax"))
        // The hold's own cookie still goes out with the redirect.
        #expect(posted.headers.contains { $0.0 == "Set-Cookie" && $0.1.hasPrefix("sportello_visitor=") })
        // Back, Forward, reload: the same form each time, never cached, no form sent again.
        let first = client.respond("GET", location, headers: ["Cookie": cookie])
        let again = client.respond("GET", location, headers: ["Cookie": cookie])
        #expect(first.status == 200 && first.header("Cache-Control") == "no-store")
        #expect(first.text.contains("name=\"hold\" value=\"") && again.text == first.text)
        #expect(try client.application.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM holds") } == 1)
        // The address alone shows nothing: without the browser's cookie, or with another's, a clear page.
        for headers in [[:], ["Cookie": "\(PageSnapshots.cookieName)=\(String(repeating: "a", count: 32))"]] {
            let gone = client.respond("GET", location, headers: headers)
            #expect(gone.status == 410 && gone.text.contains("Pagina non più disponibile"))
            #expect(!gone.text.contains("name=\"hold\""))
        }
        // A JSON client keeps its answer as it was.
        let json = client.respond(
            "POST", client.path(.holds), form: ["service": "carta-identita", "slot": String(slot)], json: true,
            follow: false)
        #expect(json.status == 201 && json.header("Location") == nil)
    }

    @Test func theDetailsTypedNeverLandInTheAddressAndErrorsAreShownAgain() throws {
        let client = try RouterClient()
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": "carta-identita", "slot": String(slot)])
        let token = try #require(
            extract("[0-9a-f]{32}", from: extract("name=\"hold\" value=\"[0-9a-f]{32}\"", from: hold.text) ?? ""))
        var fields = person
        fields["hold"] = token
        fields["codice_fiscale"] = "RSSMRA85T10A562X"
        let wrong = client.respond("POST", client.path(.review), form: fields, follow: false)
        let location = try #require(wrong.header("Location"))
        // The page's random token (32 hex digits) may hold "333" by chance: every other byte of the address may not.
        let beyondToken = location.replacingOccurrences(
            of: "[0-9a-f]{32}", with: "", options: .regularExpression)
        #expect(beyondToken.count == location.count - 32)
        for typed in ["RSSMRA85T10A562X", "Chiara", "maria", "333"] { #expect(!beyondToken.contains(typed)) }
        let cookie = try #require(pageCookie(wrong))
        let shown = client.respond("GET", location, headers: ["Cookie": cookie])
        // The form with what was typed and what is wrong, as the POST answered it.
        #expect(shown.status == 422 && shown.text.contains("value=\"RSSMRA85T10A562X\""))
        #expect(shown.text.contains("error-summary"))
    }

    @Test func signingOutClosesTheWayBackToThePagesOfTheSession() throws {
        let client = try RouterClient()
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": "carta-identita", "slot": String(slot)], follow: false)
        let location = try #require(hold.header("Location"))
        let cookie = try #require(pageCookie(hold))
        #expect(client.respond("GET", location, headers: ["Cookie": cookie]).status == 200)
        let out = client.respond("POST", client.path(.logout), headers: ["Cookie": cookie], follow: false)
        #expect(out.status == 303)
        #expect(out.headers.contains { $0.0 == "Set-Cookie" && $0.1.hasPrefix(PageSnapshots.cookieName + "=;") })
        let back = client.respond("GET", location, headers: ["Cookie": cookie])
        #expect(back.status == 410 && !back.text.contains("name=\"hold\""))
        #expect(back.header("Cache-Control") == "no-store")
    }

    @Test func aBrowserKeepsOnlyItsLatestPagesForMinutes() throws {
        let clock = TestClock(0)
        let pages = PageSnapshots(clock: clock.read)
        let response = HTTPResponse.html(200, "<h1>x</h1>")
        let ids = (0..<(PageSnapshots.pagesPerBrowser + 3)).map { _ in pages.keep(response, owner: "a") }
        #expect(pages.count == PageSnapshots.pagesPerBrowser)
        #expect(pages.page(ids[0], owner: "a") == nil)
        #expect(pages.page(ids[ids.count - 1], owner: "a") != nil)
        #expect(pages.page(ids[ids.count - 1], owner: "b") == nil)
        let other = pages.keep(response, owner: "b")
        clock.advance(PageSnapshots.lifetime)
        #expect(pages.page(other, owner: "b") == nil)
        #expect(pages.page(ids[ids.count - 1], owner: "a") == nil)
    }

    @Test func theOldIconAddressLeadsToTheIcon() throws {
        let client = try RouterClient()
        let icon = client.respond("GET", "/favicon.ico")
        #expect(icon.status == 301 && icon.header("Location") == "/assets/favicon.svg")
    }

    @Test func theFormMarksNeitherDetailsNorApplicantDone() throws {
        let client = try RouterClient()
        let form = client.respond(
            "POST", client.path(.holds), form: ["service": "carta-identita", "slot": String(slot)])
        #expect(form.status == 200)
        #expect(!form.text.contains("step--done\"><span class=\"step-number\">3</span>"))
        #expect(form.text.contains("step--done\"><span class=\"step-number\">2</span>"))
        #expect(form.text.contains("aria-current=\"step\"><span class=\"step-number\">4</span>"))
    }
}

extension AccountTests {
    @Test func aSlotChosenBeforeSigningInIsHeldRightAfter() throws {
        let site = try RunningSite(now: now, configure: { $0.booking.requireAccount = true })
        defer { site.stop() }
        let secret = try register(site, anna)
        let refused = try site.post("/api/holds", ["service": "residenza", "slot": String(thursday0830)])
        #expect(refused.status == 401 && refused.body.contains("Accesso necessario"))
        let remembered = try #require(
            extract("sportello_slot=[^;]+", from: refused.headers["Set-Cookie"] as? String ?? ""))
        #expect(remembered == "sportello_slot=residenza~\(thursday0830)")
        // Signing in with the slot's cookie lands on that slot's form, held for the citizen.
        let login = try site.post(
            "/api/login", ["codice_fiscale": anna["codice_fiscale"] ?? "", "password": secret],
            headers: ["Cookie": remembered])
        #expect(login.status == 200 && login.body.contains("name=\"hold\" value=\""))
        #expect(login.body.contains("Anna"))
        #expect((login.headers["Set-Cookie"] as? String)?.contains("sportello_slot=; ") == true)
        // Taken meanwhile: the refusal names that week and the nearest free slots.
        let other = try site.post(
            "/api/login", ["codice_fiscale": anna["codice_fiscale"] ?? "", "password": secret],
            headers: ["Cookie": remembered])
        #expect(other.status == 409 && other.body.contains("Posto appena preso"))
        #expect(other.body.contains("/servizi/residenza/2026-W48") && other.body.contains("name=\"slot\""))
        // Without a chosen slot, signing in shows "Le mie prenotazioni" as before.
        let plain = try site.post(
            "/api/login", ["codice_fiscale": anna["codice_fiscale"] ?? "", "password": secret])
        #expect(plain.status == 200 && plain.body.contains("Le mie prenotazioni"))
    }
}
