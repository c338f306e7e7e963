import Foundation
import SportelloCore
import Synchronization
import Testing

@testable import SportelloSite

/// Occupancy set by the test.
final class FixtureOccupancy: OccupancySource {
    let slots = Mutex<[String: [Int64: SlotOccupancy]]>([:])

    func set(_ serviceID: String, _ start: Int64, _ occupancy: SlotOccupancy) {
        slots.withLock { $0[serviceID, default: [:]][start] = occupancy }
    }

    func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]] {
        slots.withLock { all in
            all.filter { serviceID == nil || $0.key == serviceID }.mapValues {
                $0.filter { $0.key >= from && $0.key < to }
            }
        }
    }
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func demoPublisher(
    output: String, inputsFingerprint: [UInt8]? = nil, configurationPath: String? = nil
) throws -> SitePublisher {
    let configuration = try SiteConfiguration.load(
        path: configurationPath ?? repositoryRoot.appendingPathComponent("Tests/Fixtures/comune.json").path)
    let templates = repositoryRoot.appendingPathComponent("site-templates").path
    let library = try TemplateLibrary(directory: templates, strict: true)
    var translations: [String: Translations] = [:]
    for language in configuration.comune.languages {
        translations[language] = try Translations.load(directory: "\(templates)/i18n", language: language)
    }
    let renderer = PageRenderer(
        catalogue: Catalogue(configuration: configuration), templates: library, translations: translations)
    return SitePublisher(
        renderer: renderer, outputDirectory: output, assetsDirectory: "\(templates)/assets",
        inputsFingerprint: inputsFingerprint)
}

func temporaryFolder() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-site-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

func rome(_ day: String, _ time: String) -> Int64 {
    RomeTime.instant(date: CivilDate(iso: day)!, minutes: LocalTime(parsing: Substring(time))!.minutes)!
}

@Suite struct PublisherTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    @Test func theDemoComuneBuildsEveryPageInBothLanguages() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let report = try publisher.publishAll(now: now, source: FixtureOccupancy())
        let services = publisher.catalogue.services.count
        let offices = publisher.renderer.offices.count
        // Per language: catalogue, 404, cancel form, operator sign-in, citizens' sign-in, per service (page + 13 weeks),
        // per office its page.
        #expect(offices == 3)
        #expect(report.rendered == 2 * (5 + services * 14 + offices))
        let assets = try FileManager.default.contentsOfDirectory(
            atPath: repositoryRoot.appendingPathComponent("site-templates/assets").path
        )
        .filter { !$0.hasPrefix(".") }
        #expect(report.written == report.rendered + assets.count)  // + CSS, JS and the endpoint-down page
        for language in ["", "en/"] {
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)index.html"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)404.html"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/carta-identita/index.html"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/anagrafe/index.html"))
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/carta-identita/2026-W48.html"))
            // 2026 has 53 ISO weeks.
            #expect(FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/carta-identita/2027-W07.html"))
            #expect(
                !FileManager.default.fileExists(atPath: "\(output)/\(language)servizi/carta-identita/2027-W08.html"))
        }
        #expect(FileManager.default.fileExists(atPath: "\(output)/assets/sportello.css"))
        let catalogue = read("\(output)/index.html")
        #expect(catalogue.contains("<html lang=\"it\">"))
        #expect(catalogue.contains("Ufficio Anagrafe e Stato Civile"))
        #expect(catalogue.contains("href=\"/servizi/carta-identita/\""))
        #expect(catalogue.contains("data-element=\"breadcrumb\""))
        #expect(catalogue.contains("Primo posto libero"))
        #expect(read("\(output)/en/index.html").contains("Registry and Civil Status Office"))
        let service = read("\(output)/servizi/carta-identita/index.html")
        #expect(service.contains("data-element=\"service-booking-access\""))
        #expect(service.contains("Fototessera".lowercased()) || service.contains("fototessera"))
        #expect(service.contains("https://www.openstreetmap.org/?mlat=43.9587&amp;mlon=10.2275"))
        #expect(service.contains("Carta d&#39;identità elettronica (CIE)"))
    }

    @Test func aWeekPageShowsEveryStateWithTextAndRealFormControls() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let occupancy = FixtureOccupancy()
        occupancy.set("carta-identita", rome("2026-11-26", "09:10"), SlotOccupancy(booked: 2))
        occupancy.set("carta-identita", rome("2026-11-26", "09:30"), SlotOccupancy(booked: 1, held: 1))
        occupancy.set("carta-identita", rome("2026-11-26", "09:50"), SlotOccupancy(blocked: 2))
        occupancy.set("carta-identita", rome("2026-11-26", "10:10"), SlotOccupancy(booked: 1))
        try publisher.publishAll(now: now, source: occupancy)
        let week = read("\(output)/servizi/carta-identita/2026-W48.html")
        #expect(week.contains("<form method=\"post\" action=\"/api/holds\""))
        #expect(week.contains("data-element=\"appointment-booking\""))
        #expect(week.contains("<input type=\"hidden\" name=\"service\" value=\"carta-identita\">"))
        let free = rome("2026-11-26", "11:10")
        #expect(week.contains("<input type=\"radio\" name=\"slot\" value=\"\(free)\""))
        #expect(!week.contains("value=\"\(rome("2026-11-26", "09:10"))\""))  // booked: no control
        #expect(!week.contains("value=\"\(rome("2026-11-25", "08:30"))\""))  // past
        #expect(!week.contains("value=\"\(rome("2026-11-26", "10:30"))\""))  // the pause
        for text in [
            "Libero", "In prenotazione", "Occupato", "Non più prenotabile", "Chiuso", "Operatore non disponibile",
            "posti liberi: 1", "posti liberi: 2",
        ] {
            #expect(week.contains(text), "\(text)")
        }
        #expect(week.contains("aria-current=\"step\""))
        #expect(week.contains("rel=\"next\"") && !week.contains("rel=\"prev\""))
        // The last published week has only a previous link; slots beyond 60 days are not yet bookable.
        let last = read("\(output)/servizi/carta-identita/2027-W07.html")
        #expect(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""))
        #expect(last.contains("Non ancora prenotabile"))
        // Holidays are named on their day.
        #expect(read("\(output)/servizi/carta-identita/2026-W50.html").contains("Immacolata Concezione"))
        #expect(read("\(output)/servizi/carta-identita/2026-W52.html").contains("Vigilia di Natale"))
        #expect(read("\(output)/en/servizi/carta-identita/2026-W48.html").contains("Being booked"))
    }

    /// Issue 16: the week page's bytes halved. Each state is said once per cell (its class and its text); the icon
    /// lives in the stylesheet, a free slot's radio sits in its label, the group's `required` is on one radio only.
    @Test func aWeekPageSaysEachStateOnceAndKeepsTheSlotsAccessible() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let occupancy = FixtureOccupancy()
        occupancy.set("carta-identita", rome("2026-11-26", "09:10"), SlotOccupancy(booked: 2))
        try publisher.publishAll(now: now, source: occupancy)
        let week = read("\(output)/servizi/carta-identita/2026-W48.html")
        let free = rome("2026-11-26", "11:10")
        #expect(
            week.contains(
                "<li class=\"free\"><label><input type=\"radio\" name=\"slot\" value=\"\(free)\">"
                    + "<span class=\"vh\">giovedì 26 novembre 2026, </span><b>11:10</b> Libero"))
        #expect(week.contains("<li class=\"booked\"><b>09:10</b> Occupato</li>"))
        #expect(week.components(separatedBy: " required>").count == 2)
        #expect(week.contains("<span class=\"swatch free\"></span> <strong>Libero</strong>"))
        for icon in ["✓", "⏳", "✕", "🔒", "⊘", "aria-hidden", "title=\"11:10", " id=\"slot-"] {
            #expect(!week.contains(icon), "\(icon)")
        }
        let css = read(repositoryRoot.appendingPathComponent("site-templates/assets/sportello.css").path)
        #expect(
            css.contains(
                ".slots .free::before, .swatch.free::before { content: \"\\2713\"; content: \"\\2713\" / \"\"; }"))
    }
    /// Issue 16, warm builds: a week page carries a digest of its inputs; a full build that finds it on disk does
    /// not render the page again, and any change of the inputs (a booking, the time, the templates) does.
    @Test func aWeekPageWhoseInputsAreUnchangedIsNotRenderedAgain() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let occupancy = FixtureOccupancy()
        let week = "\(output)/servizi/carta-identita/2026-W48.html"
        let first = try demoPublisher(output: output, inputsFingerprint: [1, 2, 3])
        try first.publishAll(now: now, source: occupancy)
        let page = read(week)
        #expect(page.hasPrefix("<!DOCTYPE html>\n<!-- inputs "))
        // A marked page is taken as it is: what follows the marker is not read, so this edit stays.
        try page.replacingOccurrences(of: "Occupato", with: "EDITED").write(
            toFile: week, atomically: true, encoding: .utf8)
        let again = try first.publishAll(now: now, source: occupancy)
        #expect(again.written == 0 && again.rendered > 0)
        #expect(read(week).contains("EDITED"))
        // A booking in that week: rendered again.
        occupancy.set("carta-identita", rome("2026-11-26", "11:10"), SlotOccupancy(booked: 2))
        try first.publishAll(now: now, source: occupancy)
        #expect(!read(week).contains("EDITED") && read(week).contains("Occupato"))
        // Other templates or texts (another fingerprint): every week rendered again, with a new marker.
        try read(week).replacingOccurrences(of: "Occupato", with: "EDITED").write(
            toFile: week, atomically: true, encoding: .utf8)
        try demoPublisher(output: output, inputsFingerprint: [1, 2, 4]).publishAll(now: now, source: occupancy)
        #expect(!read(week).contains("EDITED"))
        #expect(read(week).prefix(80) != page.prefix(80))
        // Time alone: an hour later the first slots of the day have turned past.
        let before = read(week)
        try first.publishAll(now: now + 3_600, source: occupancy)
        #expect(read(week) != before)
        // Without a fingerprint (a configuration built in memory) pages carry no marker.
        let plain = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: plain) }
        try demoPublisher(output: plain).publishAll(now: now, source: occupancy)
        #expect(!read("\(plain)/servizi/carta-identita/2026-W48.html").contains("<!-- inputs"))
    }

    @Test func unchangedPagesAreNotRewrittenAndAChangeRewritesOnlyItsPages() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let occupancy = FixtureOccupancy()
        try publisher.publishAll(now: now, source: occupancy)
        let again = try publisher.publishAll(now: now, source: occupancy)
        #expect(again.written == 0)

        let slot = rome("2026-12-03", "09:10")
        occupancy.set("carta-identita", slot, SlotOccupancy(booked: 2))
        let weekFile = "\(output)/servizi/carta-identita/2026-W49.html"
        let before = read(weekFile)
        let pages = SitePublisher.pages(touchedBy: "carta-identita", slotStart: slot)
        #expect(
            pages == [
                .week("carta-identita", monday: CivilDate(iso: "2026-11-30")!), .service("carta-identita"), .catalogue,
            ])
        let report = try publisher.publish(pages, now: now, source: occupancy)
        #expect(report.rendered == 2 * 4)  // and the page of the office above the service (its next free slot)
        #expect(report.written == 2)  // the week in both languages; the next free slot did not move
        #expect(read(weekFile) != before)
        #expect(read(weekFile).contains("Occupato"))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: output).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func weeksThatAreNoLongerPublishedAreRemoved() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        // A folder left by the earlier one-folder-per-week layout goes too.
        try AtomicFile.writeIfChanged(Array("old".utf8), to: "\(output)/servizi/carta-identita/2026-W40/index.html")
        let report = try publisher.publishAll(now: now + 8 * 86_400, source: FixtureOccupancy())
        #expect(report.removed == 2 * publisher.catalogue.services.count + 1)
        #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W48.html"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W40"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W49.html"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2027-W08.html"))
    }

    @Test func weekNamesRoundTrip() {
        var day = CivilDate(iso: "2015-01-01")!
        while day.year < 2040 {
            let monday = day.mondayOfWeek
            #expect(SiteLayout.monday(weekName: SiteLayout.weekName(monday)) == monday)
            day = day.adding(days: 7)
        }
        #expect(SiteLayout.monday(weekName: "2026-W54") == nil)
        #expect(SiteLayout.monday(weekName: "2026-W00") == nil)
        #expect(SiteLayout.monday(weekName: "x-W10") == nil)
        #expect(SiteLayout.monday(weekFileName: "2026-W48.html") == CivilDate(iso: "2026-11-23"))
        #expect(SiteLayout.monday(weekFileName: "2026-W48") == nil)
        #expect(SiteLayout.monday(weekFileName: "index.html") == nil)
    }

    @Test func everyPageHasAGzipCopyWithTheSameModificationTime() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        let pages = (FileManager.default.enumerator(atPath: output)?.compactMap { $0 as? String } ?? []).filter {
            $0.hasSuffix(".html") || $0.hasSuffix(".css")
        }
        #expect(pages.count > 100)
        for page in pages {
            var plain = stat()
            var compressed = stat()
            #expect(stat("\(output)/\(page)", &plain) == 0 && stat("\(output)/\(page).gz", &compressed) == 0, "\(page)")
            #expect(
                plain.st_mtim.tv_sec == compressed.st_mtim.tv_sec
                    && plain.st_mtim.tv_nsec == compressed.st_mtim.tv_nsec, "\(page)")
        }
        // The copy is the page, compressed (checked with the system's gzip).
        let page = "\(output)/servizi/carta-identita/2026-W49.html"
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", page + ".gz"]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let expanded = pipe.fileHandleForReading.readDataToEndOfFile()
        gunzip.waitUntilExit()
        #expect(expanded == FileManager.default.contents(atPath: page))
        // A missing copy comes back on the next build; old weeks go with their copies.
        unlink(page + ".gz")
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        #expect(FileManager.default.fileExists(atPath: page + ".gz"))
        try publisher.publishAll(now: now + 21 * 86_400, source: FixtureOccupancy())
        #expect(!FileManager.default.fileExists(atPath: page) && !FileManager.default.fileExists(atPath: page + ".gz"))
    }

    @Test func atomicWritesReplaceAndSkipIdenticalBytes() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/deep/er/page.html"
        #expect(try AtomicFile.writeIfChanged(Array("one".utf8), to: path))
        #expect(try !AtomicFile.writeIfChanged(Array("one".utf8), to: path))
        #expect(try AtomicFile.writeIfChanged(Array("two!".utf8), to: path))
        #expect(try AtomicFile.writeIfChanged(Array("owt!".utf8), to: path))
        #expect(read(path) == "owt!")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/deep/er") == ["page.html"])
    }

    /// A process killed between writing a temporary file and renaming it leaves the file behind; the next full
    /// build removes it (Tests/robustness/crash.py found them in output/ after `kill -9`).
    @Test func aFullBuildRemovesTemporaryFilesOfDeadWriters() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        let dead = Int32.max  // above any pid_max: no such process
        let leftovers = [
            "index.html.tmp-\(dead)-1", "assets/sportello.css.tmp-\(dead)-2", "en/annulla/index.html.tmp-\(dead)-3",
            "servizi/residenza/2026-W49.html.gz.tmp-\(dead)-4", "en/servizi/certificati/2026-W50.html.tmp-\(dead)-5",
        ]
        let alive = "servizi/residenza/2026-W49.html.tmp-\(getpid())-6"  // a writer still at work is left alone
        for name in leftovers + [alive] {
            _ = FileManager.default.createFile(atPath: "\(output)/\(name)", contents: Data("<!doc".utf8))
        }
        let report = try publisher.publishAll(now: now, source: FixtureOccupancy())
        for name in leftovers { #expect(!FileManager.default.fileExists(atPath: "\(output)/\(name)"), "\(name)") }
        #expect(FileManager.default.fileExists(atPath: "\(output)/\(alive)"))
        #expect(report.removed == leftovers.count)
    }
}
