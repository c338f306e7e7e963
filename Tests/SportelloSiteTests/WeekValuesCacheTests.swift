import Foundation
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloSite

/// `serve`'s week re-renders (`SitePublisher.publish`) share each service's `ServiceWeekValues` instead of
/// making them for every page, and render the same bytes a full build does.
@Suite struct WeekValuesCacheTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")
    let service = "carta-identita"
    let firstWeek = CivilDate(iso: "2026-11-30")!
    let secondWeek = CivilDate(iso: "2026-12-07")!

    /// The week page of `monday` in `language` where `publisher` writes it.
    func weekFile(_ monday: CivilDate, _ language: String = "it", of publisher: SitePublisher) -> String {
        publisher.path(publisher.renderer.layout.file(.week(service, monday: monday), language: language))
    }

    @Test func weekReRendersOfOneServiceMakeItsValuesOnceAndRenderWhatAFullBuildRenders() throws {
        let served = try TemporaryFolder(prefix: "sportello-site")
        defer { served.remove() }
        let built = try TemporaryFolder(prefix: "sportello-site")
        defer { built.remove() }
        let occupancy = FixtureOccupancy()
        let publisher = try demoPublisher(output: served.path)
        try publisher.publishAll(now: now, source: occupancy)
        #expect(publisher.weekLock.withLock { $0.made } == 0)

        occupancy.set(service, rome("2026-12-01", "09:10"), SlotOccupancy(booked: 2))
        let first = try publisher.publish([.week(service, monday: firstWeek)], now: now, source: occupancy)
        #expect(first.written == 2)
        // One per language, the first time the service's weeks are re-rendered.
        #expect(publisher.weekLock.withLock { $0.made } == 2)
        occupancy.set(service, rome("2026-12-09", "11:30"), SlotOccupancy(booked: 1))
        occupancy.set(service, rome("2026-12-02", "08:30"), SlotOccupancy(booked: 2))
        let second = try publisher.publish(
            [.week(service, monday: firstWeek), .week(service, monday: secondWeek)], now: now, source: occupancy)
        #expect(second.written == 4)
        #expect(publisher.weekLock.withLock { $0.made } == 2)

        // A full build of the same occupancy by another publisher: the same bytes, in both languages.
        let fullBuild = try demoPublisher(output: built.path)
        try fullBuild.publishAll(now: now, source: occupancy)
        for monday in [firstWeek, secondWeek] {
            for language in ["it", "en"] {
                let page = FileManager.default.contents(atPath: weekFile(monday, language, of: publisher))
                #expect(page?.isEmpty == false)
                #expect(page == FileManager.default.contents(atPath: weekFile(monday, language, of: fullBuild)))
            }
        }
        #expect(read(weekFile(secondWeek, of: publisher)).contains("Occupato"))
    }

    /// A changed configuration is a new publisher (`serve` restarts with it): its re-renders make the values
    /// again, from the new configuration.
    @Test func aChangedConfigurationMakesTheValuesAgain() throws {
        let folder = try TemporaryFolder(prefix: "sportello-site")
        defer { folder.remove() }
        let occupancy = FixtureOccupancy()
        let week: Set<PageID> = [.week(service, monday: firstWeek)]
        let publisher = try demoPublisher(output: "\(folder.path)/output")
        try publisher.publishAll(now: now, source: occupancy)
        try publisher.publish(week, now: now, source: occupancy)
        try publisher.publish(week, now: now, source: occupancy)
        #expect(publisher.weekLock.withLock { $0.made } == 2)
        let page = weekFile(firstWeek, of: publisher)
        #expect(read(page).contains("Carta d&#39;identità elettronica (CIE)"))
        #expect(!read(page).contains("Carta d&#39;identità digitale"))

        let original = try String(
            contentsOfFile: repositoryRoot.appendingPathComponent("Tests/Fixtures/comune.json").path, encoding: .utf8)
        let changed = original.replacingOccurrences(
            of: "\"Carta d'identità elettronica (CIE)\"", with: "\"Carta d'identità digitale\"")
        #expect(changed != original)
        let configuration = "\(folder.path)/sportello.json"
        try changed.write(toFile: configuration, atomically: true, encoding: .utf8)
        let reloaded = try demoPublisher(output: "\(folder.path)/output", configurationPath: configuration)
        try reloaded.publish(week, now: now, source: occupancy)
        #expect(reloaded.weekLock.withLock { $0.made } == 2)
        #expect(read(page).contains("Carta d&#39;identità digitale"))
    }
}
