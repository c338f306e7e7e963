import Foundation
import SportelloCore
import SportelloHTTP
import Testing

@testable import SportelloApp

/// Every form keeps what was typed and names each wrong field in its summary, each line a link to the field; a
/// hold that runs out while the citizen types costs them nothing they typed.
@Suite struct FormFieldTests {
    // Wednesday 25 November 2026, 08:00; Friday 27th 09:00 is a free TARI slot (one place).
    let now = rome("2026-11-25", "08:00")
    let tari = rome("2026-11-27", "09:00")

    func holdToken(_ client: RouterClient, service: String, slot: Int64) throws -> String {
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": service, "slot": String(slot)], json: true)
        #expect(hold.status == 201)
        return try #require(extract("[0-9a-f]{32}", from: hold.text))
    }

    /// Before: a wrong check character gave a bare "Dati da correggere" page naming no field, the form gone.
    @Test func aRefusedRegistrationKeepsTheFormAndNamesTheField() throws {
        let client = try RouterClient(now: now)
        var fields = person
        fields["codice_fiscale"] = "RSSMRA85T10A562X"
        let refused = client.respond("POST", client.path(.accounts), form: fields)
        #expect(refused.status == 422)
        let body = refused.text
        #expect(body.contains("<h2 id=\"register-title\">"))
        #expect(body.contains("<a href=\"#reg-cf\">Codice fiscale: "))
        #expect(body.contains("l&#39;ultimo carattere non corrisponde"))
        #expect(
            body.contains(
                "id=\"reg-cf\" name=\"codice_fiscale\" type=\"text\" value=\"RSSMRA85T10A562X\" required"))
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-reg-cf\""))
        #expect(body.contains("<span class=\"field-error\" id=\"error-reg-cf\">"))
        #expect(body.contains("value=\"Maria Chiara\"") && body.contains("value=\"D&#39;Alessandro\""))
        #expect(body.contains("value=\"maria@example.it\"") && body.contains("value=\"333 123 4567\""))
        // Only the wrong field is marked.
        #expect(body.components(separatedBy: "aria-invalid=\"true\"").count == 2)
        #expect(
            client.respond("POST", client.path(.accounts), form: fields, json: true).text.contains(
                "\"codice_fiscale\""))
    }

    /// Before: the summary said "Questo campo è obbligatorio." once per empty field, naming none.
    @Test func theDetailsFormSummaryNamesEachEmptyFieldInPageOrder() throws {
        let client = try RouterClient(now: now)
        let token = try holdToken(client, service: "tari", slot: tari)
        let refused = client.respond(
            "POST", client.path(.review), form: ["hold": token, "email": "maria@example", "cognome": "Rossi"])
        #expect(refused.status == 422)
        let body = refused.text
        let lines = [
            "<a href=\"#field-nome\">Nome: Questo campo è obbligatorio.</a>",
            "<a href=\"#field-codice_fiscale\">Codice fiscale: ",
            "<a href=\"#field-email\">Email: ",
            "<a href=\"#field-cellulare\">",
        ]
        let positions = try lines.map { try #require(body.range(of: $0), "\($0)").lowerBound }
        #expect(positions == positions.sorted())
        #expect(!body.contains("#field-cognome"))
        #expect(body.contains("value=\"Rossi\"") && body.contains("value=\"maria@example\""))
        #expect(body.contains("id=\"field-nome\" name=\"nome\" type=\"text\" value=\"\""))
        #expect(body.contains("aria-invalid=\"true\" aria-describedby=\"error-nome\""))
    }

    /// Before: a hold that ran out while the citizen typed was a "Tempo scaduto" page, all typed data gone, even
    /// with the slot still free.
    @Test func aRunOutHoldOnAStillFreeSlotIsPlacedAgainAndTheBookingGoesOn() throws {
        let client = try RouterClient(now: now)
        let token = try holdToken(client, service: "tari", slot: tari)
        client.clock.advance(601)
        var fields = person
        fields["hold"] = token
        let summary = client.respond("POST", client.path(.review), form: fields)
        #expect(summary.status == 200)
        #expect(summary.text.contains("il posto era ancora libero"))
        #expect(summary.text.contains("<dd>RSSMRA85T10A562S</dd>"))
        let renewed = try #require(extract("name=\"hold\" value=\"[0-9a-f]{32}", from: summary.text)?.suffix(32))
        #expect(String(renewed) != token)

        // Run out again on the summary: "Invia" places it again and books.
        client.clock.advance(601)
        fields["hold"] = String(renewed)
        let confirmed = client.respond("POST", client.path(.bookings), form: fields, json: true)
        #expect(confirmed.status == 201)
    }

    @Test func aRunOutHoldWhoseSlotWasTakenKeepsTheDetailsForTheNearestFreeSlots() throws {
        let client = try RouterClient(now: now)
        let token = try holdToken(client, service: "tari", slot: tari)
        client.clock.advance(601)
        _ = try holdToken(client, service: "tari", slot: tari)  // someone else takes the freed place
        var fields = person
        fields["hold"] = token
        let lost = client.respond("POST", client.path(.review), form: fields)
        #expect(lost.status == 410)
        let body = lost.text
        #expect(body.contains("Tempo scaduto: il posto non è più disponibile"))
        #expect(body.contains("<dd>D&#39;Alessandro</dd>"))
        #expect(body.contains("<input type=\"hidden\" name=\"carry\" value=\"1\">"))
        #expect(body.contains("<input type=\"hidden\" name=\"cognome\" value=\"D&#39;Alessandro\">"))
        #expect(!body.contains("name=\"slot\" value=\"\(tari)\""))
        let alternative = try #require(extract("name=\"slot\" value=\"[0-9]+", from: body)?.split(separator: "\"").last)

        // "Prenota" on an alternative: the new hold's form comes filled in with what was typed.
        var carried = person
        carried["service"] = "tari"
        carried["slot"] = String(alternative)
        carried["carry"] = "1"
        let form = client.respond("POST", client.path(.holds), form: carried)
        #expect(form.status == 200)
        #expect(form.text.contains("value=\"Maria Chiara\"") && form.text.contains("value=\"RSSMRA85T10A562S\""))
        // Without "carry" a hold's form starts empty, whatever else the request sent.
        carried["carry"] = nil
        carried["slot"] = String(rome("2026-11-27", "10:00"))
        #expect(!client.respond("POST", client.path(.holds), form: carried).text.contains("value=\"Maria Chiara\""))
        // JSON clients keep the refusal with the alternatives.
        #expect(client.respond("POST", client.path(.review), form: fields, json: true).errorCode == "hold_expired")
    }

    /// A slot whose time has come is never held again, however it was held before.
    @Test func aRunOutHoldOnASlotNowPastIsNotPlacedAgain() throws {
        let client = try RouterClient(now: now)
        let token = try holdToken(client, service: "tari", slot: tari)
        client.clock.advance(tari + 300 - now)
        var fields = person
        fields["hold"] = token
        let late = client.respond("POST", client.path(.review), form: fields)
        #expect(late.status == 410)
        #expect(late.text.contains("Tempo scaduto: il posto non è più disponibile"))
        #expect(try client.application.store.hold(token: token)?.released == false)
        #expect(!late.text.contains("il posto era ancora libero"))
    }

    /// Before: "circa 1 minuti".
    @Test func oneMinuteIsSingular() throws {
        let client = try RouterClient(now: now, configure: { $0.booking.holdMinutes = 1 })
        let form = client.respond("POST", client.path(.holds), form: ["service": "tari", "slot": String(tari)])
        #expect(form.text.contains("(circa 1 minuto)"))
        #expect(form.text.contains("data-template-one=\"Resta 1 minuto per completare la prenotazione.\""))
        let english = try RouterClient(now: now, configure: { $0.booking.holdMinutes = 1 })
        let answer = english.respond(
            "POST", english.path(.holds), form: ["service": "tari", "slot": String(tari), "lang": "en"])
        #expect(answer.text.contains("(about 1 minute)"))
    }

    /// Before: the limit was checked only at "Invia", and its refusal offered "Prenota" buttons refused the same way.
    @Test func thePersonLimitIsToldAtReviewWithNothingThatWouldFail() throws {
        let client = try RouterClient(now: now, configure: { $0.booking.maxActiveBookingsPerPerson = 1 })
        var fields = person
        fields["hold"] = try holdToken(client, service: "tari", slot: tari)
        #expect(client.respond("POST", client.path(.bookings), form: fields, json: true).status == 201)

        let second = try holdToken(client, service: "tari", slot: rome("2026-11-27", "09:20"))
        fields["hold"] = second
        let refused = client.respond("POST", client.path(.review), form: fields)
        #expect(refused.status == 409)
        #expect(refused.text.contains("ogni persona può avere al massimo 1 prenotazione attiva."))
        #expect(refused.text.contains("attendi che una si sia svolta"))
        #expect(!refused.text.contains("class=\"alternative\"") && !refused.text.contains("name=\"slot\""))
        // The place goes back at once.
        #expect(try client.application.store.hold(token: second)?.released == true)
        // "Invia" alone (an API client skipping the review) is refused the same way, with nothing to book.
        fields["hold"] = try holdToken(client, service: "tari", slot: rome("2026-11-27", "09:40"))
        let confirmed = client.respond("POST", client.path(.bookings), form: fields, json: true)
        #expect(confirmed.errorCode == "person_limit_reached" && !confirmed.text.contains("alternatives"))
        #expect(confirmed.text.contains("\"limit\":1"))
    }

    @Test func aSignedInPersonAtTheLimitIsToldAtTheHoldWithTheirBookings() throws {
        let client = try RouterClient(
            now: now,
            configure: {
                $0.identity = IdentityHeaders.testProxy
                $0.booking.maxActiveBookingsPerPerson = 1
            })
        let spid = [
            "X-Identity-Fiscal-Number": "TINIT-BNCLRA70A41H501B", "X-Identity-Given-Name": "Anna",
            "X-Identity-Family-Name": "Bianchi", "X-Identity-Email": "anna@example.it",
            "X-Sportello-Proxy-Secret": IdentityHeaders.testProxy.proxySecret,
        ]
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": "tari", "slot": String(tari)], json: true, headers: spid)
        let token = try #require(extract("[0-9a-f]{32}", from: hold.text))
        let booked = client.respond(
            "POST", client.path(.bookings), form: ["hold": token, "cellulare": "3471234567"], json: true,
            headers: spid)
        #expect(booked.status == 201)
        let code = try #require(extract("\"code\":\"[2-9A-HJ-NP-Z]{8}", from: booked.text)?.suffix(8))

        let refused = client.respond(
            "POST", client.path(.holds), form: ["service": "tari", "slot": String(rome("2026-11-27", "09:20"))],
            headers: spid)
        #expect(refused.status == 409)
        #expect(refused.text.contains("Le tue prenotazioni attive per questo servizio"))
        #expect(refused.text.contains("codice \(code)"))
        #expect(!refused.text.contains("class=\"alternative\""))
        // No hold was placed: the slot is still free for others.
        #expect(try holdToken(client, service: "tari", slot: rome("2026-11-27", "09:20")).count == 32)
    }

    /// Before: an empty booking code or codice fiscale gave a bare "Dati da correggere" page, the form gone.
    @Test func aLookUpWithAnEmptyFieldKeepsTheFormAndNamesTheField() throws {
        let client = try RouterClient(now: now)
        let cancel = client.respond(
            "POST", client.path(.cancellations), form: ["code": "", "codice_fiscale": "RSSMRA85T10A562S"])
        #expect(cancel.status == 422)
        #expect(
            cancel.text.contains("<a href=\"#field-code\">Codice di prenotazione: Questo campo è obbligatorio.</a>"))
        #expect(!cancel.text.contains("#field-cf\">"))
        #expect(
            cancel.text.contains("id=\"field-cf\" name=\"codice_fiscale\" type=\"text\" value=\"RSSMRA85T10A562S\""))
        #expect(cancel.text.contains("aria-describedby=\"field-hint-code field-error-code\" aria-invalid=\"true\""))
        // The other form on the page stays empty and unmarked.
        #expect(cancel.text.contains("id=\"receipt-cf\" name=\"codice_fiscale\" type=\"text\" value=\"\" required"))

        let receipt = client.respond("POST", client.path(.receipts), form: ["code": "ABCD2345"])
        #expect(receipt.status == 422)
        #expect(receipt.text.contains("<a href=\"#receipt-cf\">Codice fiscale: Questo campo è obbligatorio.</a>"))
        #expect(receipt.text.contains("id=\"receipt-code\" name=\"code\" type=\"text\" value=\"ABCD2345\""))
        #expect(
            client.respond("POST", client.path(.cancellations), form: ["code": "X"], json: true).text.contains(
                "\"codice_fiscale\":\"required\""))
    }
}
