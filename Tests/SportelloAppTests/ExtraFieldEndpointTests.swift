import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore
import Testing

@testable import SportelloApp

/// A service's extra form fields through the endpoint: shown on the form, refused field by field, kept through the
/// summary, stored with the booking, in the agenda's CSV, erased by the purge.
@Suite struct ExtraFieldEndpointTests {
    let now = rome("2026-11-25", "08:00")
    let tari = rome("2026-11-27", "09:00")
    static let fields = [
        ExtraField(
            id: "targa", labels: ["it": "Targa del veicolo", "en": "Vehicle plate"], kind: .text, required: true,
            maxLength: 8),
        ExtraField(id: "persone", labels: ["it": "Persone"], kind: .number, minimum: 1, maximum: 5),
        ExtraField(id: "veicolo", labels: ["it": "Veicolo"], kind: .choice, choices: ["Auto", "Moto"]),
    ]

    func client() throws -> RouterClient {
        try RouterClient(
            now: now,
            configure: { configuration in
                func declare(_ nodes: inout [ServiceDefinition]) {
                    for index in nodes.indices {
                        if nodes[index].id == "tari" { nodes[index].extraFields = Self.fields }
                        declare(&nodes[index].children)
                    }
                }
                declare(&configuration.services)
            })
    }

    @Test func theFieldsAreShownCheckedKeptStoredListedAndErased() throws {
        let client = try client()
        let hold = client.respond("POST", client.path(.holds), form: ["service": "tari", "slot": String(tari)])
        #expect(hold.text.contains("<label for=\"field-extra-targa\">Targa del veicolo <span aria-hidden=\"true\">*"))
        #expect(
            hold.text.contains("name=\"extra-targa\" type=\"text\" value=\"\" autocomplete=\"off\" maxlength=\"8\""))
        #expect(hold.text.contains("name=\"extra-persone\" type=\"number\""))
        #expect(hold.text.contains("<select id=\"field-extra-veicolo\" name=\"extra-veicolo\">"))
        let token = try #require(extract("[0-9a-f]{32}", from: hold.text))

        var form = person
        form["hold"] = token
        form["extra-persone"] = "9"
        form["extra-veicolo"] = "Camion"
        let refused = client.respond("POST", client.path(.review), form: form)
        #expect(refused.status == 422)
        #expect(
            refused.text.contains("<a href=\"#field-extra-targa\">Targa del veicolo: Questo campo è obbligatorio.</a>"))
        #expect(refused.text.contains("<a href=\"#field-extra-persone\">Persone: Scrivi un numero intero"))
        #expect(refused.text.contains("<a href=\"#field-extra-veicolo\">Veicolo: Scegli una delle voci"))
        #expect(refused.text.contains("name=\"extra-persone\" type=\"number\" value=\"9\""))

        form["extra-targa"] = "AB123CD"
        form["extra-persone"] = "2"
        form["extra-veicolo"] = "Moto"
        form["extra-other"] = "ignored"
        let summary = client.respond("POST", client.path(.review), form: form)
        #expect(summary.status == 200)
        #expect(summary.text.contains("<dt>Targa del veicolo</dt><dd>AB123CD</dd>"))
        #expect(summary.text.contains("<input type=\"hidden\" name=\"extra-veicolo\" value=\"Moto\">"))
        #expect(!summary.text.contains("ignored"))

        let confirmed = client.respond("POST", client.path(.bookings), form: form, json: true)
        #expect(confirmed.status == 201)
        let code = String(try #require(extract("\"code\":\"[2-9A-HJ-NP-Z]{8}", from: confirmed.text)?.suffix(8)))
        let store = client.application.store
        #expect(
            try store.extraFields(codes: [code]) == [code: ["targa": "AB123CD", "persone": "2", "veicolo": "Moto"]])

        let booking = try #require(try store.booking(code: code))
        let csv = OperatorController.agendaCSV(
            [booking], answers: try store.extraFields(codes: [code]), site: client.application.site, language: "it")
        #expect(csv.contains("campi_aggiuntivi"))
        #expect(csv.contains("Targa del veicolo: AB123CD; Persone: 2; Veicolo: Moto"))

        // Past the retention period the answers go with the rest of the personal data.
        let later = tari + 86_400
        client.clock.advance(later - now)
        _ = try store.purge(before: later, now: later, actor: "test")
        #expect(try store.extraFields(codes: [code]).isEmpty)
        let rows = try store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM booking_fields") }
        #expect(rows == 0)
    }
}
