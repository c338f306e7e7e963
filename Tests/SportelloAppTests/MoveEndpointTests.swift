import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloApp

/// Moving a booking over real HTTP: by code and codice fiscale, from "Le mie prenotazioni", from the agenda;
/// what the pages, the outbox and the audit log show afterwards.
@Suite(.serialized) struct MoveEndpointTests {
    // Wednesday 25 November 2026, 08:00. Residenza: one desk, 30-minute slots from 08:30.
    let now = rome("2026-11-25", "08:00")
    let thursday0830 = rome("2026-11-26", "08:30")
    let thursday0900 = rome("2026-11-26", "09:00")
    let thursday0930 = rome("2026-11-26", "09:30")
    let week = "servizi/residenza/2026-W48.html"
    let codiceFiscale = "RSSMRA85T10A562S"

    /// Holds and confirms a slot of residenza over HTTP; returns the booking code.
    func book(_ site: RunningSite, slot: Int64, codiceFiscale: String = "RSSMRA85T10A562S") throws -> String {
        try OperatorEndpointTests().book(site, service: "residenza", slot: slot, codiceFiscale: codiceFiscale)
    }

    func movedMessages(_ site: RunningSite) throws -> Int64 {
        try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE kind = 'moved'") }
    }

    @Test func aCitizenMovesWithCodeAndCodiceFiscale() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let code = try book(site, slot: thursday0830)
        #expect(site.eventually { cellState(page: site.file(week), slot: thursday0830) == "booked" })

        // The lookup page offers the move beside the cancellation.
        #expect(site.file("annulla/index.html").contains("action=\"/api/moves\""))
        // Step one: the free starts of the same service, not the booking's own.
        let choices = try site.post("/api/moves", ["code": code.lowercased(), "codice_fiscale": codiceFiscale])
        #expect(choices.status == 200)
        #expect(choices.body.contains("Sposta la prenotazione"))
        #expect(choices.body.contains("name=\"slot\" type=\"radio\" value=\"\(thursday0900)\""))
        #expect(!choices.body.contains("value=\"\(thursday0830)\""))
        #expect(choices.body.contains("name=\"codice_fiscale\" value=\"\(codiceFiscale)\""))
        let data = try site.post("/api/moves", ["code": code, "codice_fiscale": codiceFiscale], json: true)
        #expect(data.status == 200 && data.body.contains("\"start\":\(thursday0900)"))
        // A wrong codice fiscale finds nothing, as for a cancellation.
        let wrong = try site.post("/api/moves", ["code": code, "codice_fiscale": "BNCLRA70A41H501B"])
        #expect(wrong.status == 404)

        // Step two: the move. The same code, the new time said on the page.
        let moved = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0900)])
        #expect(moved.status == 200)
        #expect(moved.body.contains("Prenotazione spostata") && moved.body.contains(code))
        #expect(moved.body.contains("data-element=\"move-new-time\">giovedì 26 novembre 2026, dalle 09:00 alle 09:30"))
        let booking = try #require(try site.store.booking(code: code))
        #expect(booking.slot.start == thursday0900 && booking.sequence == 1 && booking.state == .booked)
        #expect(try movedMessages(site) == 1)
        // The week shows the old place free and the new one taken.
        #expect(
            site.eventually {
                cellState(page: site.file(week), slot: thursday0830) == "free"
                    && cellState(page: site.file(week), slot: thursday0900) == "booked"
            })
        // The form sent again moves nothing more and tells nobody again.
        let again = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0900)])
        #expect(again.status == 200)
        #expect(try movedMessages(site) == 1)

        // A time someone else has, a time that is no opening time, nonsense: clear refusals, nothing moved.
        _ = try book(site, slot: thursday0930, codiceFiscale: "BNCLRA70A41H501B")
        let taken = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0930)])
        #expect(taken.status == 409 && taken.body.contains("Posto appena preso"))
        let english = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0930), "lang": "en"])
        #expect(english.status == 409 && english.body.contains("Just taken"))
        for slot in [String(thursday0900 + 600), "domani", "99999999999999999999"] {
            let refused = try site.post("/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": slot])
            #expect(refused.status == 422)
        }
        let past = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(rome("2026-11-24", "09:00"))])
        #expect(past.status == 422 || past.status == 409)
        #expect(try site.store.booking(code: code)?.slot.start == thursday0900)

        // Cancelled: no longer movable, said in the visitor's language.
        _ = try site.post("/api/cancellations", ["code": code, "codice_fiscale": codiceFiscale, "confirm": "1"])
        let cancelled = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0830)])
        #expect(cancelled.status == 409 && cancelled.body.contains("Non più spostabile"))
        let cancelledEnglish = try site.post(
            "/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "lang": "en"])
        #expect(cancelledEnglish.status == 409 && cancelledEnglish.body.contains("Can no longer be moved"))
    }

    @Test func aSignedInCitizenMovesFromTheirBookingsAndNoOneElseCan() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let accounts = AccountTests()
        let annaSession = try accounts.signIn(site, "BNCLRA70A41H501B", try accounts.register(site, accounts.anna))
        let booked = try accounts.book(site, slot: thursday0830, headers: annaSession, person: accounts.anna)
        #expect(booked.status == 201)
        let code = try #require(try site.store.agenda(serviceIDs: ["residenza"], from: now, to: now + 86_400 * 2).first)
            .code
        let list = try site.post("/api/my-bookings", [:], headers: annaSession)
        #expect(list.body.contains("action=\"/api/my-bookings/move\""))

        #expect(try site.post("/api/my-bookings/move", ["code": code]).status == 401)
        let marioSession = try accounts.signIn(site, "RSSMRA85T10A562S", try accounts.register(site, accounts.mario))
        let foreign = try site.post(
            "/api/my-bookings/move", ["code": code, "slot": String(thursday0900)], headers: marioSession)
        #expect(foreign.status == 404)

        let choices = try site.post("/api/my-bookings/move", ["code": code], headers: annaSession)
        #expect(choices.status == 200 && choices.body.contains("value=\"\(thursday0900)\""))
        let moved = try site.post(
            "/api/my-bookings/move", ["code": code, "slot": String(thursday0900)], headers: annaSession)
        #expect(moved.status == 200 && moved.body.contains("Prenotazione spostata"))
        #expect(try site.store.booking(code: code)?.slot.start == thursday0900)
    }

    @Test func theOfficeMovesFromTheAgendaWithinItsScope() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try site.application.operators.create(name: "bruno", scope: ["tributi"], now: now)
        let code = try book(site, slot: thursday0830)
        let agenda = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26"])
        #expect(agenda.body.contains("action=\"/api/operator/move\""))

        let outside = try site.post("/api/operator/move", ["token": tributi, "code": code])
        #expect(outside.status == 403)
        #expect(try site.post("/api/operator/move", ["code": code]).status == 401)

        let choices = try site.post("/api/operator/move", ["token": token, "code": code])
        #expect(choices.status == 200 && choices.body.contains("value=\"\(thursday0900)\""))
        let moved = try site.post(
            "/api/operator/move", ["token": token, "code": code, "slot": String(thursday0900)])
        #expect(moved.status == 200)
        let note =
            "Prenotazione \(code) spostata da giovedì 26 novembre 2026, dalle 08:30 alle 09:00 "
            + "a giovedì 26 novembre 2026, dalle 09:00"
        #expect(moved.body.contains(note))
        let booking = try #require(try site.store.booking(code: code))
        #expect(booking.slot.start == thursday0900 && booking.sequence == 1)
        let audit = try site.store.database.auditEntries(since: 0, actor: "operator:anna", limit: 20)
        #expect(audit.contains { $0.action == "move" && $0.subject == code })
        #expect(try movedMessages(site) == 1)
    }

    @Test func theOfficeIsToldOfNewMovedAndCancelledBookings() throws {
        let site = try RunningSite(
            now: now,
            configure: { configuration in
                configuration.services[0].officeNotifications = "anagrafe@comune.example.it"
            })
        defer { site.stop() }
        let code = try book(site, slot: thursday0830)
        _ = try site.post("/api/moves", ["code": code, "codice_fiscale": codiceFiscale, "slot": String(thursday0900)])
        _ = try site.post("/api/cancellations", ["code": code, "codice_fiscale": codiceFiscale, "confirm": "1"])
        let rows = try site.store.database.read { connection in
            var rows: [String] = []
            try connection.forEach(
                "SELECT recipient, json_extract(payload, '$.event') FROM outbox WHERE kind = 'office' ORDER BY id"
            ) { rows.append("\($0.text(0)) \($0.text(1))") }
            return rows
        }
        #expect(
            rows == [
                "anagrafe@comune.example.it confirmed", "anagrafe@comune.example.it moved",
                "anagrafe@comune.example.it cancelled",
            ])
    }
}
