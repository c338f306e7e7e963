import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SportelloCore
import SportelloSite
import Synchronization
import Testing
@testable import SportelloApp

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

@Suite struct StartupTests {
    /// `serve` listens before it rebuilds: with the rebuild held back, the pages an earlier build left on disk
    /// are served and the endpoint answers; once let go, the rebuild ends and reports its pages.
    @Test func serveAnswersBeforeItsStartUpBuildEnds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-startup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = Options()
        options.configPath = repositoryRoot.appendingPathComponent("sportello.json").path
        options.templatesPath = repositoryRoot.appendingPathComponent("site-templates").path
        options.outputPath = "\(folder)/output"
        options.databasePath = "\(folder)/db.sqlite"
        options.port = 0
        let site = try LoadedSite(options: options)
        // The pages of an earlier run.
        _ = try site.openApplication()

        let gate = Gate()
        let finished = Locked<Result<PublishReport, any Error>?>(nil)
        let (server, application) = try Commands.startServing(site, wrapSource: { GatedOccupancy(inner: $0, gate: gate) }) { result in
            finished.withLock { $0 = result }
        }
        defer {
            gate.open.store(true, ordering: .releasing)
            server.stop()
            application.stopBackgroundWork()
        }

        let page = try get(port: server.port, "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<html"))
        #expect(try get(port: server.port, "/api/holds").status == 405)
        #expect(finished.withLock { $0 } == nil, "the start-up build is still held back")

        gate.open.store(true, ordering: .releasing)
        let deadline = Date().addingTimeInterval(60)
        while finished.withLock({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        let report = try #require(try finished.withLock { $0 }?.get())
        #expect(report.rendered > 0)
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
    /// A misspelt name in a template stops `sportello build` with the file, the place and the name, instead
    /// of publishing an empty text; `serve` keeps rendering leniently.
    @Test func aMisspeltNameFailsTheBuild() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-strict-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let templates = "\(folder)/templates"
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("site-templates").path, toPath: templates)
        let service = "\(templates)/service.html"
        let source = try String(contentsOfFile: service, encoding: .utf8)
        try (source + "\n<p>{{service.nmae}}</p>\n").write(toFile: service, atomically: true, encoding: .utf8)
        var options = Options()
        options.configPath = repositoryRoot.appendingPathComponent("sportello.json").path
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
