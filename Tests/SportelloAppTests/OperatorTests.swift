import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloApp

/// The office's side over real HTTP: sign-in, agenda, outcomes, cancellation, unavailability, statistics,
/// and what the public pages show after each.
@Suite(.serialized) struct OperatorEndpointTests {
    // Wednesday 25 November 2026, 08:00. Residenza: one desk, 30-minute slots from 08:30.
    let now = rome("2026-11-25", "08:00")
    let thursday0830 = rome("2026-11-26", "08:30")
    let thursday0900 = rome("2026-11-26", "09:00")
    let thursday0930 = rome("2026-11-26", "09:30")
    let week = "servizi/residenza/2026-W48.html"

    /// Holds and confirms a slot over HTTP; returns the booking code.
    func book(
        _ site: RunningSite, service: String, slot: Int64, codiceFiscale: String = "RSSMRA85T10A562S",
        notes: String = ""
    ) throws -> String {
        let hold = try site.post("/api/holds", ["service": service, "slot": String(slot)], json: true)
        #expect(hold.status == 201)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.body))
        var form = person
        form["codice_fiscale"] = codiceFiscale
        form["note"] = notes
        form["hold"] = token
        let booked = try site.post("/api/bookings", form, json: true)
        #expect(booked.status == 201)
        return try #require(
            extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.body).map { String($0.dropFirst(8).dropLast()) })
    }

    func cellState(_ site: RunningSite, _ slot: Int64) -> String {
        SportelloAppTests.cellState(page: site.file(week), slot: slot)
    }

    @Test func signInAgendaInThreeFormatsAndScopes() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try site.application.operators.create(name: "bruno", scope: ["tributi"], now: now)
        let code = try book(site, service: "residenza", slot: thursday0830, notes: "Cambio via <Roma>")

        // No token, a wrong one, a forged one: the same clear 401.
        for form in [
            [:], ["token": "op1-00000000000000000000000000000000"], ["token": "op1-" + String(token.suffix(31)) + "x"],
            ["token": "nonsense"],
        ] {
            let reply = try site.post("/api/operator/agenda", form)
            #expect(reply.status == 401)
            #expect(reply.body.contains("Accesso necessario"))
            #expect(!reply.body.contains(code))
        }
        // The sign-in page is static and public; it holds no personal data.
        #expect(site.file("operatori/index.html").contains("action=\"/api/operator/login\""))

        let login = try site.post("/api/operator/login", ["token": token, "date": "2026-11-26"])
        #expect(login.status == 200)
        #expect(
            login.body.contains(code) && login.body.contains("RSSMRA85T10A562S")
                && login.body.contains("D&#39;Alessandro"))
        #expect(login.body.contains("Cambio via &lt;Roma&gt;"))
        let cookie = try #require(login.headers["Set-Cookie"] as? String)
        #expect(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/api/operator"))

        let csv = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26", "format": "csv"])
        #expect(csv.status == 200)
        #expect((csv.headers["Content-Type"] as? String)?.hasPrefix("text/csv") == true)
        #expect(
            csv.body.hasPrefix(
                "\u{FEFF}\"data\";\"ora\";\"fine\";\"servizio\";\"codice\";\"nome\";\"cognome\";\"codice_fiscale\""))
        #expect(
            csv.body.contains(
                "\"2026-11-26\";\"08:30\";\"09:00\";\"Cambio di residenza e di indirizzo\";\"\(code)\";\"Maria Chiara\";\"D'Alessandro\";\"RSSMRA85T10A562S\""
            ))

        let json = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26"], json: true)
        #expect(json.status == 200 && json.body.contains("\"codiceFiscale\":\"RSSMRA85T10A562S\""))

        // An operator of another office sees none of it and cannot act on it.
        let other = try site.post("/api/operator/agenda", ["token": tributi, "date": "2026-11-26"], json: true)
        #expect(other.status == 200 && !other.body.contains(code))
        #expect(try site.post("/api/operator/agenda", ["token": tributi, "entry": "residenza"]).status == 403)
        #expect(
            try site.post("/api/operator/outcome", ["token": tributi, "code": code, "outcome": "done"]).status == 403)
        #expect(try site.post("/api/operator/cancel", ["token": tributi, "code": code, "reason": "x"]).status == 403)
        // A revoked token stops working at once.
        try site.application.operators.disable(name: "bruno", now: now)
        #expect(try site.post("/api/operator/agenda", ["token": tributi]).status == 401)
        // Nothing personal ever lands in output/.
        let files = FileManager.default.enumerator(atPath: "\(site.folder)/output")?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".html") { #expect(!site.file(file).contains("RSSMRA85T10A562S")) }
    }

    @Test func outcomesAreRecordedOnlyOnceTheAppointmentHasStarted() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["*"], now: now)
        let code = try book(site, service: "residenza", slot: thursday0830)
        let early = try site.post("/api/operator/outcome", ["token": token, "code": code, "outcome": "absent"])
        #expect(early.status == 409 && early.body.contains("Appuntamento non ancora iniziato"))
        site.clock.advance(thursday0830 - now + 600)
        let absent = try site.post("/api/operator/outcome", ["token": token, "code": code, "outcome": "absent"])
        #expect(
            absent.status == 200 && absent.body.contains("Utente assente")
                && absent.body.contains("Operazione registrata"))
        #expect(
            try site.post("/api/operator/outcome", ["token": token, "code": code, "outcome": "done"]).body.contains(
                "Eseguito"))
        #expect(
            try site.post("/api/operator/outcome", ["token": token, "code": code, "outcome": "maybe"]).status == 422)
        #expect(
            try site.post("/api/operator/outcome", ["token": token, "code": "ZZZZZZZZ", "outcome": "done"]).status
                == 404)
        let audit = try site.store.database.read { connection in
            try connection.scalarInt(
                "SELECT COUNT(*) FROM audit WHERE actor = 'operator:anna' AND action LIKE 'outcome.%' AND address = '127.0.0.1'"
            )
        }
        #expect(audit == 2)
    }

    @Test func cancellingReopensTheSlotOrKeepsItClosed() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let first = try book(site, service: "residenza", slot: thursday0830)
        let second = try book(site, service: "residenza", slot: thursday0900, codiceFiscale: "BNCLRA70A41H501B")
        site.eventually { cellState(site, thursday0830) == "booked" && cellState(site, thursday0900) == "booked" }
        #expect(cellState(site, thursday0830) == "booked")

        let missingReason = try site.post("/api/operator/cancel", ["token": token, "code": first, "reason": " "])
        #expect(missingReason.status == 422)
        let reopened = try site.post(
            "/api/operator/cancel", ["token": token, "code": first, "reason": "Ufficio chiuso per guasto"])
        #expect(
            reopened.status == 200 && reopened.body.contains("Annullato da operatore")
                && reopened.body.contains("Ufficio chiuso per guasto"))
        let closed = try site.post(
            "/api/operator/cancel",
            ["token": token, "code": second, "reason": "Operatore in ferie", "keep_closed": "1"])
        #expect(closed.status == 200)
        #expect(
            site.eventually {
                cellState(site, thursday0830) == "free" && cellState(site, thursday0900) == "unavailable"
            })
        #expect(try site.store.booking(code: first)?.state == .cancelledByOperator)
        #expect(try site.store.booking(code: first)?.cancelReason == "Ufficio chiuso per guasto")
        // The citizen is told, with the reason, by the outbox (queued in the cancelling transaction).
        let told = try Outbox(database: site.store.database).list().filter { $0.kind == .cancelled }
        #expect(told.count == 2 && told.allSatisfy { $0.recipient == "maria@example.it" })
        #expect(
            told.contains { $0.payload["reason"] == "Ufficio chiuso per guasto" }
                && told.contains { $0.payload["reason"] == "Operatore in ferie" })
        // Cancelling twice is refused with a clear answer.
        #expect(try site.post("/api/operator/cancel", ["token": token, "code": first, "reason": "x"]).status == 409)
        // The citizen, trying to take the kept-closed slot, is told it is not available.
        #expect(
            try site.post("/api/holds", ["service": "residenza", "slot": String(thursday0900)], json: true).status
                == 409)
    }

    @Test func unavailabilityShowsPubliclyListsAndOptionallyCancelsBookings() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let code = try book(site, service: "residenza", slot: thursday0900)
        // A block from 08:30 to 10:00 listing (not cancelling) the booking inside it.
        let listed = try site.post(
            "/api/operator/blocks",
            [
                "token": token, "service": "residenza", "date": "2026-11-26", "from": "08:30", "to": "10:00",
                "reason": "Formazione",
            ], json: true)
        #expect(listed.status == 200 && listed.body.contains(code))
        #expect(try site.store.booking(code: code)?.state == .booked)
        #expect(
            site.eventually {
                cellState(site, thursday0830) == "unavailable" && cellState(site, thursday0930) == "unavailable"
            })
        #expect(cellState(site, thursday0900) == "booked")
        let blockID = try #require(extract("\"id\":[0-9]+", from: listed.body).map { String($0.dropFirst(5)) })

        // Removing it reopens the free slots.
        let removed = try site.post("/api/operator/blocks/remove", ["token": token, "id": blockID])
        #expect(removed.status == 200)
        #expect(site.eventually { cellState(site, thursday0830) == "free" && cellState(site, thursday0930) == "free" })
        #expect(try site.post("/api/operator/blocks/remove", ["token": token, "id": blockID]).status == 404)

        // A block that cancels what it covers; the citizen's booking is cancelled with the reason.
        let cancelling = try site.post(
            "/api/operator/blocks",
            [
                "token": token, "service": "residenza", "date": "2026-11-26", "from": "09:00",
                "to": "09:30", "reason": "Sciopero", "cancel_bookings": "1",
            ])
        #expect(
            cancelling.status == 200 && cancelling.body.contains(code)
                && cancelling.body.contains("Annullato da operatore"))
        #expect(try site.store.booking(code: code)?.cancelReason == "Sciopero")
        #expect(site.eventually { cellState(site, thursday0900) == "unavailable" })
        // Bad ranges and foreign services are refused.
        #expect(
            try site.post(
                "/api/operator/blocks",
                ["token": token, "service": "residenza", "date": "2026-11-26", "from": "10:00", "to": "09:00"]
            ).status == 422)
        #expect(
            try site.post(
                "/api/operator/blocks",
                ["token": token, "service": "imu", "date": "2026-11-26", "from": "09:00", "to": "10:00"]
            ).status == 403)

        // Statistics count the cancellation.
        let stats = try site.post("/api/operator/stats", ["token": token, "from": "2026-11-01", "to": "2026-11-30"])
        #expect(stats.status == 200 && stats.body.contains("\"residenza\";\"1\";\"0\";\"0\";\"0\";\"1\";"))
    }

    @Test func theNoShowRuleStopsRepeatedAbsentees() throws {
        let site = try RunningSite(
            now: now, configure: { $0.booking.noShowPolicy = NoShowPolicy(absences: 2, withinDays: 30, blockDays: 10) })
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["*"], now: now)
        let first = try book(site, service: "residenza", slot: thursday0830)
        let second = try book(site, service: "residenza", slot: thursday0900)
        site.clock.advance(thursday0930 - now)
        for code in [first, second] {
            #expect(
                try site.post("/api/operator/outcome", ["token": token, "code": code, "outcome": "absent"]).status
                    == 200)
        }
        let hold = try site.post(
            "/api/holds", ["service": "residenza", "slot": String(rome("2026-11-27", "10:00"))], json: true)
        var form = person
        let holdToken = try #require(extract("[0-9a-f]{32}", from: hold.body))
        form["hold"] = holdToken
        let refused = try site.post("/api/bookings", form)
        #expect(
            refused.status == 409 && refused.body.contains("assenze ripetute")
                && refused.body.contains("6 dicembre 2026"))
        // Someone else books normally.
        form["codice_fiscale"] = "BNCLRA70A41H501B"
        #expect(try site.post("/api/bookings", form, json: true).status == 201)
    }
}
