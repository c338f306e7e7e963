import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloApp

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Occupancy whose reads wait until the test opens the gate: a start-up build as slow as the test wants.
struct GatedOccupancy: OccupancySource {
    let inner: any OccupancySource
    let gate: Gate

    func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]] {
        while !gate.open.load(ordering: .acquiring) { usleep(1_000) }
        return try inner.occupancy(serviceID: serviceID, from: from, to: to, now: now)
    }
}

final class Gate: Sendable {
    let open = Atomic<Bool>(false)
}

/// Occupancy whose reads fail while `broken` is open: a publisher that cannot write, as a test wants it.
struct FlakyOccupancy: OccupancySource {
    struct Broken: Error, CustomStringConvertible { var description: String { "disk unwritable" } }
    let inner: any OccupancySource
    let broken: Gate

    func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]] {
        if broken.open.load(ordering: .acquiring) { throw Broken() }
        return try inner.occupancy(serviceID: serviceID, from: from, to: to, now: now)
    }
}

@Suite struct PublisherHealthTests {
    /// One lane failing is not hidden by the other lane succeeding a moment later (health used to compare the
    /// two latest times only), and the pages of a failed pass are published by the lane's next pass.
    @Test func aFailingLaneStaysDegradedUntilItsPagesArePublished() throws {
        let fixture = try FixtureApplication("lanes")
        defer { fixture.remove() }
        let (site, application) = (fixture.site, fixture.application)
        let broken = Gate()
        let published = Locked<Set<PageID>>([])
        let queue = PublishQueue(
            publisher: site.makePublisher(), source: FlakyOccupancy(inner: application.source, broken: broken),
            onPublished: { pages in published.withLock { $0.formUnion(pages) } })
        let lanes = ServiceGroup(queue.lanes)
        lanes.start()
        defer { lanes.stop() }
        func waitFor(_ condition: () -> Bool) -> Bool {
            for _ in 0..<600 where !condition() { usleep(10_000) }
            return condition()
        }
        broken.open.store(true, ordering: .releasing)
        queue.mark([.service("carta-identita")])
        #expect(waitFor { queue.health.snapshot.failing })
        broken.open.store(false, ordering: .releasing)
        let week = PageID.week("residenza", monday: RomeTime.local(currentInstant() + 7 * 86_400).date.mondayOfWeek)
        queue.mark([week])
        #expect(waitFor { published.withLock { $0.contains(week) } })
        #expect(queue.health.snapshot.failing, "the service page that failed is still unpublished")
        queue.mark([.service("residenza")])
        #expect(waitFor { !queue.health.snapshot.failing })
        #expect(published.withLock { $0.contains(.service("carta-identita")) }, "retried with the lane's next pass")
    }
}

@Suite struct StartupTests {
    /// `serve` listens before it rebuilds: with the rebuild held back, the pages an earlier build left on disk
    /// are served and the endpoint answers; once let go, the rebuild ends and reports its pages.
    @Test func serveAnswersBeforeItsStartUpBuildEnds() throws {
        // The pages of an earlier run.
        let earlier = try FixtureApplication("startup")
        defer { earlier.remove() }
        var options = earlier.site.options
        options.port = 0
        let site = try LoadedSite(options: options)

        let gate = Gate()
        let finished = Locked<Result<PublishReport, any Error>?>(nil)
        let (server, application) = try Commands.startServing(
            site, wrapSource: { GatedOccupancy(inner: $0, gate: gate) },
            built: { result in
                finished.withLock { $0 = result }
            }
        )
        defer {
            gate.open.store(true, ordering: .releasing)
            server.stop()
            application.stopBackgroundWork()
        }

        let page = try get(port: server.port, "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<html"))
        #expect(try get(port: server.port, "/api/holds").status == 405)
        // Health during the rebuild: not degraded (the pages on disk are served), and says it is rebuilding.
        let during = try get(port: server.port, "/api/health")
        #expect(during.status == 200 && during.body.contains("\"rebuilding\":true"), "\(during.body)")
        #expect(finished.withLock { $0 } == nil, "the start-up build is still held back")

        gate.open.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(60)
        while finished.withLock({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        let report = try #require(try finished.withLock { $0 }?.get())
        #expect(report.rendered > 0)
        // The finished rebuild counts as a publish.
        let after = try get(port: server.port, "/api/health")
        #expect(
            after.status == 200 && after.body.contains("lastPublish") && !after.body.contains("rebuilding"),
            "\(after.body)")
    }

    /// The start-up build failing (typically `output/` not writable by the service) leaves every page as an
    /// earlier run wrote it: before, `/api/health` answered 200 "ok" because no lane had failed yet.
    @Test func aFailedStartUpBuildMakesHealthDegraded() throws {
        let folder = try TemporaryFolder(prefix: "sportello-startup")
        defer { folder.remove() }
        var options = FixtureComune.options(in: folder.path)
        options.port = 0
        let site = try LoadedSite(options: options)
        let broken = Gate()
        broken.open.store(true, ordering: .releasing)
        let finished = Locked<Result<PublishReport, any Error>?>(nil)
        let (server, application) = try Commands.startServing(
            site, wrapSource: { FlakyOccupancy(inner: $0, broken: broken) },
            built: { result in
                finished.withLock { $0 = result }
            }
        )
        defer {
            server.stop()
            application.stopBackgroundWork()
        }
        let deadline = Date().addingTimeInterval(60)
        while finished.withLock({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        #expect(throws: (any Error).self) { try finished.withLock { $0 }?.get() }
        let health = try get(port: server.port, "/api/health")
        #expect(
            health.status == 503 && health.body.contains("\"publisher\"") && health.body.contains("disk unwritable"),
            "\(health.body)")
        #expect(application.metricsExposition().contains("sportello_publish_failing 1"))
    }

    func get(port: Int, _ path: String) throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 10
        let reply = Locked<(Int, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, _ in
            if let http = response as? HTTPURLResponse {
                reply.withLock { $0 = (http.statusCode, data.map { String(decoding: $0, as: UTF8.self) } ?? "") }
            }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        guard let (status, body) = reply.withLock({ $0 }) else { throw TestFailure("no answer from \(path)") }
        return (status, body)
    }
}

@Suite struct StrictBuildTests {
    /// The demo templates copied into `folder`, with `addition` appended to `template`.
    func templates(in folder: String, appending addition: String, to template: String) throws -> Options {
        let templates = "\(folder)/templates"
        try FileManager.default.copyItem(
            atPath: repositoryRoot.appendingPathComponent("site-templates").path,
            toPath: templates)
        let path = "\(templates)/\(template)"
        let source = try String(contentsOfFile: path, encoding: .utf8)
        try (source + addition).write(toFile: path, atomically: true, encoding: .utf8)
        var options = FixtureComune.options(in: folder)
        options.templatesPath = templates
        return options
    }

    /// `serve` renders strictly too: its publisher fails on a misspelt name (logged, health degraded, the pages
    /// on disk stay) and an endpoint page with one answers 500 and logs it, never the page with an empty text.
    @Test func aMisspeltNameFailsServesPublisherAndPages() throws {
        let folder = try TemporaryFolder(prefix: "sportello-strict")
        defer { folder.remove() }
        let options = try templates(in: folder.path, appending: "\n<p>{{service.nmae}}</p>\n", to: "service.html")
        let site = try LoadedSite(options: options)  // as `serve` loads it
        do {
            _ = try site.openApplication(buildFirst: true)
            Issue.record("serve's publisher rendered a misspelt name")
        } catch {
            #expect(error is TemplateError && "\(error)".contains("no value for \"service.nmae\""), "\(error)")
        }

        let pages = try TemporaryFolder(prefix: "sportello-strict")
        defer { pages.remove() }
        let typo = try LoadedSite(
            options: templates(in: pages.path, appending: "\n<p>{{mesage}}</p>\n", to: "error.html"))
        let (application, _) = try typo.openApplication(buildFirst: false)
        let request = HTTPRequest(
            method: "POST", target: "/api/nothing",
            headers: HTTPHeaders([("Origin", "http://127.0.0.1:8080")]))
        let response = application.respond(to: request)
        #expect(response.status == 500 && String(decoding: response.body, as: UTF8.self) == "Internal error")
    }

    /// A misspelt name in a template stops `sportello build` with the file, the place and the name, instead
    /// of publishing an empty text.
    @Test func aMisspeltNameFailsTheBuild() throws {
        let temporary = try TemporaryFolder(prefix: "sportello-strict")
        defer { temporary.remove() }
        let folder = temporary.path
        let templates = "\(folder)/templates"
        try FileManager.default.copyItem(
            atPath: repositoryRoot.appendingPathComponent("site-templates").path, toPath: templates)
        let service = "\(templates)/service.html"
        let source = try String(contentsOfFile: service, encoding: .utf8)
        try (source + "\n<p>{{service.nmae}}</p>\n").write(toFile: service, atomically: true, encoding: .utf8)
        var options = Options()
        options.configPath = FixtureComune.configurationPath()
        options.templatesPath = templates
        options.outputPath = "\(folder)/output"
        options.databasePath = "\(folder)/db.sqlite"
        do {
            try Commands.build(options)
            Issue.record("the build passed with a misspelt name")
        } catch {
            let message = "\(error)"
            #expect(message.contains("service.html:"))
            #expect(message.contains("no value for \"service.nmae\""))
        }
        // Unchanged templates build.
        options.templatesPath = repositoryRoot.appendingPathComponent("site-templates").path
        try Commands.build(options)
        #expect(FileManager.default.fileExists(atPath: "\(folder)/output/index.html"))
    }
}

@Suite struct TickTests {
    let now = rome("2026-11-25", "08:00")
    let slot = rome("2026-11-26", "09:10")

    /// The minute re-marking touches only the pages of slots that just turned past: at a big comune the old
    /// tick re-rendered two weeks of every service every minute.
    @Test func onlySlotsTurningPastMarkTheirPages() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let service = try #require(site.application.site.catalogue.service(id: "carta-identita"))
        let turning = slot - Int64(service.window.minimumNoticeMinutes) * 60
        let marked = site.application.pagesOfSlotsTurningPast(between: turning - 15, and: turning)
        #expect(SitePublisher.pages(touchedBy: "carta-identita", slotStart: slot).isSubset(of: marked))
        // Slots start on whole minutes: a quarter of a minute without a start marks nothing at all.
        #expect(site.application.pagesOfSlotsTurningPast(between: turning + 1, and: turning + 16).isEmpty)
        #expect(site.application.pagesOfSlotsTurningPast(between: turning, and: turning).isEmpty)
    }
}
