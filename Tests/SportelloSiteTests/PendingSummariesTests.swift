import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// A full build renders the office pages and the catalogue inside its parallel phase, each once the services it
/// shows are done (`PendingSummaries`), with the next free slots a render after the build would show.
@Suite struct PendingSummariesTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    @Test func anOfficeIsDueWithItsLastServiceAndTheCatalogueWithTheLastOfAll() throws {
        let publisher = try demoPublisher(output: temporaryFolder())
        defer { try? FileManager.default.removeItem(atPath: publisher.outputDirectory) }
        let offices = publisher.renderer.offices
        let services = publisher.catalogue.publicServices
        var pending = PendingSummaries(offices: offices, services: services)
        #expect(pending.dueAtStart.isEmpty)
        var dueOffices: [String] = []
        for (position, service) in services.enumerated() {
            let next = position.isMultiple(of: 2) ? service.nextFreeSlot(now: now, days: 30, occupancy: [:]) : nil
            let due = pending.complete(service, next: next)
            for (office, shown) in due.offices {
                dueOffices.append(office.id)
                // Due only now that every public service under it is done, with each one's next free slot.
                let under = services.filter { $0.ancestorIDs.contains(office.id) }
                #expect(under.contains { $0.id == service.id })
                #expect(Set(shown.keys) == Set(under.map(\.id)))
                for other in under { #expect(shown[other.id] == pending.nextFree[other.id], "\(other.id)") }
            }
            #expect((due.catalogue != nil) == (position == services.count - 1))
            if let all = due.catalogue { #expect(all.count == services.count) }
        }
        #expect(dueOffices.sorted() == offices.map(\.id).sorted())
    }

    /// What the build wrote for each office and the catalogue is what rendering them after the build writes: each
    /// was rendered with every next free slot it shows. In a staging folder and in an existing one alike.
    @Test func theOfficePagesAndTheCatalogueShowEveryServicesNextFreeSlot() throws {
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let source = FixtureOccupancy()
        source.set("carta-identita", rome("2026-11-26", "09:00"), SlotOccupancy(booked: 1, held: 0))
        let existing = "\(parent)/existing"
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        for output in [existing, "\(parent)/missing"] {
            let publisher = try demoPublisher(output: output)
            let report = try publisher.publishAll(now: now, source: source)
            let offices = publisher.renderer.offices
            #expect(report.rendered == 2 * (5 + publisher.catalogue.services.count * 14 + offices.count))
            let summaries = Set(offices.map { PageID.office($0.id) }).union([.catalogue])
            let again = try publisher.publish(summaries, now: now, source: source)
            #expect(again.rendered == 2 * (1 + offices.count), "\(output)")
            #expect(again.written == 0, "\(output)")
            let office = read("\(output)/servizi/anagrafe/index.html")
            #expect(office.contains("href=\"/servizi/carta-identita/\""))
        }
    }

    /// A comune whose every service is for the office's staff still gets its catalogue, fixed pages and assets.
    @Test func aComuneWithNoPublicServiceStillGetsItsCatalogue() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixture = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/comune.json"), encoding: .utf8)
        let configuration = "\(folder)/staff-only.json"
        try fixture.replacingOccurrences(of: "\"id\": ", with: "\"staffOnly\": true, \"id\": ").write(
            toFile: configuration, atomically: true, encoding: .utf8)
        for output in ["\(folder)/missing", folder] {
            let publisher = try demoPublisher(output: output, configurationPath: configuration)
            #expect(publisher.catalogue.publicServices.isEmpty && publisher.renderer.offices.isEmpty)
            let report = try publisher.publishAll(now: now, source: FixtureOccupancy())
            #expect(report.rendered == 2 * 5, "\(output)")
            #expect(FileManager.default.fileExists(atPath: "\(output)/index.html"), "\(output)")
            #expect(FileManager.default.fileExists(atPath: "\(output)/en/404.html"), "\(output)")
            #expect(FileManager.default.fileExists(atPath: "\(output)/assets/sportello.css"), "\(output)")
        }
    }
}
