import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// Staff-only services (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): never on the public site nor
/// bookable by its endpoint, booked by the office from the operator pages with the public form's checks.
@Suite(.serialized) struct StaffOnlyServiceTests {
    // Wednesday 25 November 2026, 08:00.
    let now = rome("2026-11-25", "08:00")

    /// Certificati (anagrafe) and both services of servizi-sociali are staff-only.
    func staffSite() throws -> RunningSite {
        try RunningSite(now: now) { configuration in
            func mark(_ nodes: inout [ServiceDefinition]) {
                for index in nodes.indices {
                    if ["certificati", "servizi-sociali"].contains(nodes[index].id) { nodes[index].staffOnly = true }
                    mark(&nodes[index].children)
                }
            }
            mark(&configuration.services)
        }
    }

    @Test func theCatalogueKnowsWhatIsPublic() throws {
        let catalogue = Catalogue(
            configuration: try makeConfiguration(
                """
                [{"id": "sociali", "name": "Servizi sociali", "staffOnly": true, "slotMinutes": 30,
                  "schedule": {"mon": ["09:00-12:00"]},
                  "children": [{"id": "visita", "name": "Visita"}, {"id": "colloquio", "name": "Colloquio"}]},
                 {"id": "anagrafe", "name": "Anagrafe", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]},
                  "children": [{"id": "carta", "name": "Carta"},
                               {"id": "interno", "name": "Interno", "staffOnly": true}]}]
                """))
        #expect(catalogue.services.map(\.id) == ["visita", "colloquio", "carta", "interno"])
        #expect(catalogue.publicServices.map(\.id) == ["carta"])
        #expect(catalogue.publicService(id: "interno") == nil && catalogue.service(id: "interno")?.staffOnly == true)
        #expect(catalogue.publicService(id: "carta")?.id == "carta")
        #expect(catalogue.roots.map(catalogue.isPublic) == [false, true])
    }

    @Test func aStaffOnlyServiceIsNowhereOnThePublicSiteAndItsHoldIsUnknown() throws {
        let site = try staffSite()
        defer { site.stop() }
        let output = "\(site.folder)/output"
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/residenza/index.html"))
        for id in ["certificati", "segretariato-sociale", "contributi"] {
            #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/\(id)"), "\(id)")
            #expect(!FileManager.default.fileExists(atPath: "\(output)/en/servizi/\(id)"), "\(id)")
        }
        let catalogue = site.file("index.html")
        #expect(catalogue.contains("/servizi/residenza/"))
        #expect(!catalogue.contains("/servizi/certificati/") && !catalogue.contains("value=\"certificati\""))
        #expect(!catalogue.contains("Servizi sociali") || !catalogue.contains("segretariato"))
        let start = rome("2026-11-26", "09:00")
        let staffOnly = try site.post("/api/holds", ["service": "certificati", "slot": String(start)], json: true)
        let unknown = try site.post("/api/holds", ["service": "nessuno", "slot": String(start)], json: true)
        #expect(staffOnly.status == 404 && unknown.status == 404)
        #expect(staffOnly.body.contains("unknown_service") && unknown.body.contains("unknown_service"))
    }

    @Test func theOfficeBooksItWithThePublicFormsChecks() throws {
        let site = try staffSite()
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try site.application.operators.create(name: "bruno", scope: ["tributi"], now: now)
        let agenda = try site.post("/api/operator/agenda", ["token": token, "date": "2026-11-26"])
        #expect(agenda.body.contains("action=\"/api/operator/book\"") && agenda.body.contains("value=\"certificati\""))

        let form = try site.post("/api/operator/book", ["token": token, "service": "certificati"])
        #expect(form.status == 200)
        let starts = form.body.components(separatedBy: "name=\"slot\" type=\"radio\"").count - 1
        #expect(starts == OperatorController.offeredStarts)
        let slot =
            try #require(extract("name=\"slot\" type=\"radio\" value=\"[0-9]+\"", from: form.body))
            .components(separatedBy: "\"").dropLast().last ?? ""
        #expect(Int64(slot).map { $0 > now } == true)

        var fields = person
        fields["token"] = token
        fields["service"] = "certificati"
        fields["slot"] = slot
        fields["codice_fiscale"] = "RSSMRA85T10A562X"
        let wrong = try site.post("/api/operator/book", fields)
        #expect(wrong.status == 422 && wrong.body.contains("Il codice fiscale non è corretto"))
        #expect(wrong.body.contains("value=\"Maria Chiara\"") && wrong.body.contains("value=\"\(slot)\" checked"))
        fields["codice_fiscale"] = "RSSMRA85T10A562S"
        for made in [String(now - 3_600), String(Int64(slot)! + 60), "domani"] {
            fields["slot"] = made
            let refused = try site.post("/api/operator/book", fields)
            #expect(refused.status == 422, "\(made)")
        }
        fields["slot"] = slot
        fields["token"] = tributi
        #expect(try site.post("/api/operator/book", fields).status == 403)
        fields["token"] = token
        let booked = try site.post("/api/operator/book", fields)
        #expect(booked.status == 200 && booked.body.contains("Prenotazione registrata"))
        let code = try #require(
            extract("codice [2-9A-HJ-NP-Z]{8}", from: booked.body).map { String($0.suffix(8)) })
        let booking = try #require(try site.store.booking(code: code))
        #expect(booking.state == .booked && booking.slot == SlotRef(serviceID: "certificati", start: Int64(slot)!))
        #expect(booking.person.codiceFiscale == "RSSMRA85T10A562S")
        let (audit, messages) = try site.store.database.read { connection in
            (
                try connection.scalarInt(
                    "SELECT COUNT(*) FROM audit WHERE actor = 'operator:anna' AND action = 'book' AND subject = ?",
                    .text(code)),
                try connection.scalarInt(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'confirmed' AND booking_id = ?", .int(booking.id))
            )
        }
        #expect(audit == 1 && messages >= 1)
        // The same start again: the capacity is checked as for a citizen.
        fields["codice_fiscale"] = "BNCLRA70A41H501B"
        #expect(try site.post("/api/operator/book", fields).status == 409)
        // And the public site still has no page of it.
        #expect(!FileManager.default.fileExists(atPath: "\(site.folder)/output/servizi/certificati"))
    }
}
