import Foundation
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloSite

/// A warm full build (one over the tree a build left) takes shortcuts: week pages whose inputs are unchanged,
/// data files read without parsing, one listing of each service folder. None of them may change a byte.
@Suite struct WarmBuildTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    /// Every file under `root` (relative path → bytes).
    func tree(_ root: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for relative in try FileManager.default.subpathsOfDirectory(atPath: root) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: "\(root)/\(relative)", isDirectory: &isFolder),
                !isFolder.boolValue
            else { continue }
            files[relative] = Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(relative)")))
        }
        return files
    }

    @Test func aWarmBuildLeavesTheTreeOfAColdBuildByteForByte() throws {
        let warm = temporaryFolder()
        let cold = temporaryFolder()
        defer {
            try? FileManager.default.removeItem(atPath: warm)
            try? FileManager.default.removeItem(atPath: cold)
        }
        let occupancy = FixtureOccupancy()
        occupancy.set("carta-identita", rome("2026-11-26", "11:10"), SlotOccupancy(booked: 2))
        try demoPublisher(output: warm, inputsFingerprint: [1, 2, 3]).publishAll(now: now, source: occupancy)
        // Missing `.gz` twins of a data file and of a page are put back by the warm build; so is the twin of the
        // data file of a week whose page is current (that one was left missing before).
        let next = "\(warm)/servizi/carta-identita/next.json.gz"
        let week = "\(warm)/servizi/carta-identita/2026-W49.html.gz"
        let weekData = "\(warm)/servizi/carta-identita/2026-W50.json.gz"
        #expect(unlink(next) == 0 && unlink(week) == 0 && unlink(weekData) == 0)
        let report = try demoPublisher(output: warm, inputsFingerprint: [1, 2, 3]).publishAll(
            now: now, source: occupancy)
        #expect(report.written == 0)  // the twins are not pages
        for twin in [next, week, weekData] { #expect(FileManager.default.fileExists(atPath: twin), "\(twin)") }
        try demoPublisher(output: cold, inputsFingerprint: [1, 2, 3]).publishAll(now: now, source: occupancy)
        let warmTree = try tree(warm)
        let coldTree = try tree(cold)
        #expect(warmTree.count > 100)
        #expect(Set(warmTree.keys) == Set(coldTree.keys))
        #expect(warmTree.keys.filter { warmTree[$0] != coldTree[$0] }.sorted() == [])
    }

    @Test func aServicePageIsKeptWhileItsNextFreeSlotStaysAndRenderedWhenItMoves() throws {
        let warm = temporaryFolder()
        let cold = temporaryFolder()
        defer {
            try? FileManager.default.removeItem(atPath: warm)
            try? FileManager.default.removeItem(atPath: cold)
        }
        let occupancy = FixtureOccupancy()
        let publisher = try demoPublisher(output: warm, inputsFingerprint: [1, 2, 3])
        try publisher.publishAll(now: now, source: occupancy)
        #expect(try publisher.publishAll(now: now, source: occupancy).written == 0)
        let page = "\(warm)/servizi/carta-identita/index.html"
        let before = try String(contentsOfFile: page, encoding: .utf8)
        #expect(before.hasPrefix("<!DOCTYPE html>\n<!-- inputs "))
        // The next free slot taken: the service page (and its week, and the catalogue) show the one after it.
        let service = try #require(publisher.catalogue.publicService(id: "carta-identita"))
        let next = try #require(service.nextFreeSlot(now: now, days: service.window.maxDaysAhead, occupancy: [:]))
        occupancy.set("carta-identita", next.slot.startInstant, SlotOccupancy(booked: service.capacity))
        #expect(try publisher.publishAll(now: now, source: occupancy).written > 0)
        let after = try String(contentsOfFile: page, encoding: .utf8)
        #expect(after != before)
        try demoPublisher(output: cold, inputsFingerprint: [1, 2, 3]).publishAll(now: now, source: occupancy)
        #expect(after == (try String(contentsOfFile: "\(cold)/servizi/carta-identita/index.html", encoding: .utf8)))
        // A change published page by page leaves the page a full build makes.
        occupancy.set("carta-identita", next.slot.startInstant, SlotOccupancy())
        try publisher.publish(
            SitePublisher.pages(touchedBy: "carta-identita", slotStart: next.slot.startInstant), now: now,
            source: occupancy)
        #expect(try String(contentsOfFile: page, encoding: .utf8) == before)
        #expect(try publisher.publishAll(now: now, source: occupancy).written == 0)
    }

    @Test func weeksWithDifferentCellsHaveDifferentInputsDigests() throws {
        let output = try TemporaryFolder(prefix: "sportello-site")
        defer { output.remove() }
        let publisher = try demoPublisher(output: output.path)
        let service = try #require(publisher.catalogue.publicService(id: "carta-identita"))
        let monday = try #require(CivilDate(iso: "2026-11-23"))
        func marker(_ grid: WeekGrid) -> [UInt8] {
            WeekInputs(fingerprint: [1, 2, 3], service: service, grid: grid, weeks: [monday]).marker(language: "it")
        }
        // What the digest must tell apart: every cell's start, state and free places.
        func cells(_ grid: WeekGrid) -> [String] {
            grid.days.map { day in day.cells.map { "\($0.slot.start.minutes) \($0.state) \($0.freeDesks)" }.joined() }
        }
        var grids = [service.week(startingOn: monday, occupancy: [:], now: now)]
        let free = grids[0].days.flatMap(\.cells).filter { $0.state == .free }
        #expect(free.count >= 10)
        // One place taken, every place taken, one held, in the first, some middle and the last free cells; and
        // the same week seen later (more of it past).
        for cell in [free[0], free[1], free[free.count / 2], free[free.count - 1]] {
            for taken in [SlotOccupancy(booked: 1), SlotOccupancy(booked: service.capacity), SlotOccupancy(held: 1)] {
                grids.append(service.week(startingOn: monday, occupancy: [cell.slot.startInstant: taken], now: now))
            }
        }
        grids.append(service.week(startingOn: monday, occupancy: [:], now: now + 86_400))
        let distinctWeeks = Set(grids.map(cells)).count
        #expect(distinctWeeks >= 6)
        #expect(Set(grids.map(marker)).count == distinctWeeks)
        #expect(marker(grids[0]) == marker(service.week(startingOn: monday, occupancy: [:], now: now)))
    }

    @Test func theStampOfADataFileIsFoundWhereJSONWriterPutsIt() {
        let bytes = Array(#"{"a":1,"generatedAt":"2026-10-21T08:02:00+02:00","z":[]}"#.utf8)
        let range = SitePublisher.stampRange(in: bytes)
        #expect(range.map { String(decoding: bytes[$0], as: UTF8.self) } == "2026-10-21T08:02:00+02:00")
        #expect(SitePublisher.stampRange(in: Array(#"{"generatedAt":1}"#.utf8)) == nil)
        #expect(SitePublisher.stampRange(in: Array(#"{"generatedAt":"unterminated"#.utf8)) == nil)
        #expect(SitePublisher.stampRange(in: []) == nil)
    }

    @Test func weekNamesReadByteByByteMeanWhatTheyMeantWhenSplit() {
        // The site's own shape, read without splitting.
        #expect(SiteLayout.monday(weekName: "2026-W48") == CivilDate(iso: "2026-11-23"))
        #expect(SiteLayout.monday(weekName: "2026-W05") == CivilDate(iso: "2026-01-26"))
        // Other shapes keep the reading they had.
        #expect(SiteLayout.monday(weekName: "2026-W5") == CivilDate(iso: "2026-01-26"))
        #expect(SiteLayout.monday(weekName: "02026-W48") == CivilDate(iso: "2026-11-23"))
        for name in ["2026-W4x", "2026-Wa8", "2026_W48", "2026-W48.html", "2026-W48.json", "20.6-W48", "2026-W", ""] {
            #expect(SiteLayout.monday(weekName: name) == nil)
        }
    }
}
