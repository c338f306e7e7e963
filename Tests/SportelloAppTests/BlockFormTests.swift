import Foundation
import SportelloCore
import SportelloHTTP
import Testing

@testable import SportelloApp

/// The agenda's "add unavailability" form: each wrong field named and linked, what was typed kept.
@Suite struct BlockFormTests {
    let now = rome("2026-11-25", "08:00")

    /// Before: an empty time was a bare "invalid range" page, the form gone; desks typed as "due" blocked every
    /// desk without a word.
    @Test func aWrongBlockFormComesBackFilledInWithEachFieldNamed() throws {
        let client = try RouterClient(now: now)
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let typed = [
            "token": token, "date": "2026-11-26", "service": "residenza", "from": "11:00", "to": "",
            "desks": "due", "reason": "Formazione", "cancel_bookings": "1",
        ]
        let refused = client.respond("POST", client.path(.operatorBlocks), form: typed)
        #expect(refused.status == 422)
        let body = refused.text
        let lines = [
            "<a href=\"#block-to\">Alle: Scrivi un orario, ad esempio 09:30.</a>",
            "<a href=\"#block-desks\">Sportelli: Scrivi un numero di sportelli da 1 a 50",
        ]
        let positions = try lines.map { try #require(body.range(of: $0), "\($0)").lowerBound }
        #expect(positions == positions.sorted())
        #expect(!body.contains("href=\"#block-from\"") && !body.contains("href=\"#block-service\""))
        #expect(body.contains("<option value=\"residenza\" selected>"))
        #expect(body.contains("id=\"block-from\" name=\"from\" type=\"time\" value=\"11:00\" required>"))
        #expect(body.contains("value=\"due\" placeholder=\"tutti\" aria-invalid=\"true\""))
        #expect(body.contains("value=\"Formazione\""))
        #expect(body.contains("id=\"block-cancel\" name=\"cancel_bookings\" type=\"checkbox\" value=\"1\" checked>"))
        #expect(body.components(separatedBy: "aria-invalid=\"true\"").count == 3)
        let blocks = try client.application.store.blocks(serviceID: nil, from: 0, to: Int64.max / 2)
        #expect(blocks.isEmpty)

        // The end before the start, and a service left unchosen, are named too.
        var wrongOrder = typed
        (wrongOrder["service"], wrongOrder["to"], wrongOrder["desks"]) = ("", "10:00", "")
        let order = client.respond("POST", client.path(.operatorBlocks), form: wrongOrder).text
        #expect(order.contains("<a href=\"#block-service\">Servizio: Scegli un servizio dell&#39;elenco.</a>"))
        #expect(order.contains("<a href=\"#block-to\">Alle: L&#39;orario di fine deve venire dopo quello di inizio."))

        // Scripts keep the store's answer; a right form still adds the block.
        var json = typed
        json["to"] = "10:00"
        let script = client.respond("POST", client.path(.operatorBlocks), form: json, json: true)
        #expect(script.status == 422 && script.errorCode == "bad_range")
        var right = typed
        (right["to"], right["desks"]) = ("12:00", "1")
        let added = client.respond("POST", client.path(.operatorBlocks), form: right)
        #expect(added.status == 200 && !added.text.contains("class=\"error-summary\""))
        #expect(try client.application.store.blocks(serviceID: nil, from: 0, to: Int64.max / 2).count == 1)
    }
}
