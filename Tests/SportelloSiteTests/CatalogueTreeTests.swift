import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// Issue 17 point 7: the catalogue as a tree, office pages, breadcrumbs that link, a map without scripts.
@Suite struct CatalogueTreeTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    /// The fixture comune with its services edited by `edit`, written to a file `SiteConfiguration.load` reads.
    func editedConfiguration(in folder: String, _ edit: (inout [[String: Any]]) -> Void) throws -> String {
        let source = repositoryRoot.appendingPathComponent("Tests/Fixtures/comune.json").path
        let data = try #require(FileManager.default.contents(atPath: source))
        var root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var services = try #require(root["services"] as? [[String: Any]])
        edit(&services)
        root["services"] = services
        let path = "\(folder)/comune.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The breadcrumb's items, as (text, link) pairs; the current page has no link.
    func breadcrumb(_ page: String) -> [(String, String?)] {
        let nav = page.components(separatedBy: "data-element=\"breadcrumb\">").dropFirst().first ?? ""
        return nav.components(separatedBy: "</ol>")[0].components(separatedBy: "<li>").dropFirst().map { item in
            let link = item.components(separatedBy: "<a href=\"").dropFirst().first.map {
                String($0.prefix { $0 != "\"" })
            }
            let text = item.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            return (text.trimmingCharacters(in: .whitespacesAndNewlines), link)
        }
    }

    @Test func anOfficePageHasItsPlaceContactsHoursAndServicesInBothLanguages() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        try demoPublisher(output: output).publishAll(now: now, source: FixtureOccupancy())
        let office = read("\(output)/servizi/anagrafe/index.html")
        #expect(office.contains("<h1>Ufficio Anagrafe e Stato Civile</h1>"))
        #expect(office.contains("<p class=\"address\">Piazza del Municipio 1"))
        #expect(office.contains("href=\"https://www.openstreetmap.org/?mlat=43.9587&amp;mlon=10.2275#map=18/"))
        #expect(office.contains("href=\"geo:43.9587,10.2275?q=43.9587,10.2275(Piazza%20del%20Municipio%201"))
        #expect(office.contains("Coordinate: 43.9587, 10.2275"))
        #expect(office.contains("<a href=\"tel:0584795210\">"))
        #expect(office.contains("<dt>sabato</dt><dd>09:00–12:00</dd>"))
        #expect(office.contains("Alcuni servizi hanno orari propri"))  // the marriage service's own hours
        for service in ["carta-identita", "residenza", "certificati", "stato-civile"] {
            #expect(office.contains("<a class=\"entry-name\" href=\"/servizi/\(service)/\">"), "\(service)")
        }
        #expect(!office.contains("/servizi/imu/"))
        #expect(office.contains("Primo posto libero: "))
        #expect(office.contains("2026-W48.html#d-2026-11-25\">"))
        #expect(!office.contains("<script src=\"http") && !office.contains("<iframe"))
        let crumbs = breadcrumb(office)
        #expect(crumbs.map(\.0) == ["Servizi prenotabili", "Ufficio Anagrafe e Stato Civile"])
        #expect(crumbs.map(\.1) == ["/", nil])
        let english = read("\(output)/en/servizi/anagrafe/index.html")
        #expect(english.contains("<h1>Registry and Civil Status Office</h1>"))
        #expect(
            english.contains("Open the map on OpenStreetMap") && english.contains("href=\"/en/servizi/residenza/\""))
        #expect(english.contains("<link rel=\"alternate\" hreflang=\"it\" href=\"/servizi/anagrafe/\">"))
    }

    @Test func breadcrumbsLinkEveryLevelFromHomeToTheWeek() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        try demoPublisher(output: output).publishAll(now: now, source: FixtureOccupancy())
        let service = breadcrumb(read("\(output)/servizi/carta-identita/index.html"))
        #expect(service.map(\.1) == ["/", "/servizi/anagrafe/", nil])
        let week = breadcrumb(read("\(output)/servizi/carta-identita/2026-W49.html"))
        #expect(week.map(\.1) == ["/", "/servizi/anagrafe/", "/servizi/carta-identita/", nil])
        #expect(week.last?.0 == "Data e orario")
        let english = breadcrumb(read("\(output)/en/servizi/tari/2026-W49.html"))
        #expect(english.map(\.1) == ["/en/", "/en/servizi/tributi/", "/en/servizi/tari/", nil])
        // A service at the top of the tree: home, then the service.
        #expect(breadcrumb(read("\(output)/servizi/edilizia/index.html")).map(\.1) == ["/", nil])
        // The service page names its office with a link to it.
        #expect(
            read("\(output)/servizi/carta-identita/index.html").contains(
                "<p class=\"office\"><a href=\"/servizi/anagrafe/\">Ufficio Anagrafe e Stato Civile</a></p>"))
    }

    /// Offices open and close with "+" by `details`/`summary` (no JavaScript); a small catalogue starts open,
    /// a big one closed.
    @Test func officesCollapseWithoutJavaScriptAndABigCatalogueStartsClosed() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        try demoPublisher(output: output).publishAll(now: now, source: FixtureOccupancy())
        let small = read("\(output)/index.html")
        #expect(small.components(separatedBy: "<details class=\"office-entry\" open>").count == 4)
        #expect(small.contains("<summary><h2 class=\"entry-name\">Ufficio Anagrafe e Stato Civile</h2>"))
        #expect(small.contains("servizi prenotabili: 4</span></summary>"))
        #expect(small.contains("<a href=\"/servizi/anagrafe/\">Indirizzo, orari e contatti dell&#39;ufficio</a>"))
        let css = read(repositoryRoot.appendingPathComponent("site-templates/assets/sportello.css").path)
        #expect(css.contains(".office-entry > summary::before { content: \"+\""))

        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The same offices with more services than a small catalogue has.
        let path = try editedConfiguration(in: folder) { services in
            guard var children = services[0]["children"] as? [[String: Any]], let model = children.last else { return }
            for index in 0..<PageRenderer.openCatalogueLimit {
                var copy = model
                copy["id"] = "altro-\(index)"
                children.append(copy)
            }
            services[0]["children"] = children
        }
        try demoPublisher(output: "\(folder)/output", configurationPath: path)
            .publishAll(now: now, source: FixtureOccupancy())
        let big = read("\(folder)/output/index.html")
        #expect(big.components(separatedBy: "<details class=\"office-entry\">").count == 4)
        #expect(!big.contains("<details class=\"office-entry\" open>"))
        // The office page itself always lists its services.
        #expect(read("\(folder)/output/servizi/anagrafe/index.html").contains("href=\"/servizi/altro-3/\""))
    }

    /// An office page moves with its services' next free slot, and goes when the office leaves the configuration.
    @Test func anOfficePageFollowsItsServicesAndIsPrunedWithItsOffice() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let occupancy = FixtureOccupancy()
        try publisher.publishAll(now: now, source: occupancy)
        let officeFile = "\(output)/servizi/tributi/index.html"
        let before = read(officeFile)
        // Every slot of TARI on the first free day taken: its next free slot moves, and so does the office page.
        let tari = try #require(publisher.catalogue.service(id: "tari"))
        let next = try #require(tari.nextFreeSlot(now: now, days: 60, occupancy: [:]))
        for slot in tari.slots(on: next.slot.date) {
            occupancy.set("tari", slot.startInstant, SlotOccupancy(booked: tari.capacity))
        }
        let report = try publisher.publish(
            SitePublisher.pages(touchedBy: "tari", slotStart: next.slot.startInstant), now: now, source: occupancy)
        #expect(report.written >= 8)  // week, service, catalogue and office, in both languages
        #expect(read(officeFile) != before)
        #expect(
            read("\(output)/en/servizi/tributi/index.html").contains(
                "<h2 id=\"office-services\">Services you can book at this office</h2>"))

        // The social services office leaves the configuration: its page goes in both languages, the others stay.
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try editedConfiguration(in: folder) { services in
            services.removeAll { $0["id"] as? String == "servizi-sociali" }
        }
        try demoPublisher(output: output, configurationPath: path).publishAll(now: now, source: occupancy)
        for language in ["", "en/"] {
            #expect(!FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/servizi-sociali"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/anagrafe/index.html"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/anagrafe/index.html.gz"))
        }
    }
}
