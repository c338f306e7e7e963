import Foundation
import SportelloCore
import SportelloHTTP
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

@Suite struct ComuneHostTests {
    func comune(_ name: String, host: String, in folder: String) throws {
        let demo = try String(contentsOf: repositoryRoot.appendingPathComponent("sportello.json"), encoding: .utf8)
        let text = demo.replacingOccurrences(
            of: #""baseURL": "http://127.0.0.1:8080""#,
            with: #""baseURL": "https://\#(host)""#)
        #expect(text != demo)
        try FileManager.default.createDirectory(atPath: "\(folder)/\(name)", withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(name)/sportello.json"))
    }

    func health(_ comuni: ComuneHost, host: String) -> Int {
        comuni.respond(
            to: HTTPRequest(
                method: "GET", target: "/api/health", path: "/api/health", query: nil,
                headers: HTTPHeaders([("Host", host)]))
        ).status
    }

    /// Removes `folder` once the start-up build of every comune a scan started there (each has its `var/`) has
    /// logged its end, a minute at most: a build still running writes pages into the folder being removed.
    func remove(_ folder: String, whenBuiltAccordingTo log: Locked<[String]>) {
        let started = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(folder)/\($0)/var")
        }
        func built(_ name: String) -> Bool { log.withLock { $0.contains { $0.contains("\(folder)/\(name)/output") } } }
        let deadline = Date().addingTimeInterval(60)
        while !started.allSatisfy(built) && Date() < deadline { usleep(10_000) }
        TemporaryFolder.removeTree(folder)
    }

    @Test func comuniAreChosenByHostNameABrokenOneIsSkippedAndAReloadAddsAndRemoves() throws {
        let folder = NSTemporaryDirectory() + "sportello-comuni-\(UUID().uuidString)"
        let log = Locked<[String]>([])
        let capture = Log.capture { line in log.withLock { $0.append(line) } }
        defer {
            remove(folder, whenBuiltAccordingTo: log)
            Log.endCapture(capture)
        }
        try comune("valfiorita", host: "prenota.valfiorita.example.it", in: folder)
        try comune("montealto", host: "prenota.montealto.example.it", in: folder)
        try FileManager.default.createDirectory(atPath: "\(folder)/rotto", withIntermediateDirectories: true)
        try Data(#"{"comune": "#.utf8).write(to: URL(fileURLWithPath: "\(folder)/rotto/sportello.json"))
        let templates = repositoryRoot.appendingPathComponent("site-templates").path
        let comuni = ComuneHost(directory: folder, templatesPath: templates)
        defer { comuni.stopAll() }

        // Before the first scan has started them, the comuni are "starting", not unknown.
        #expect(health(comuni, host: "prenota.valfiorita.example.it") == 503)
        #expect(comuni.configuredTrustedProxies() == ["127.0.0.1", "::1"])
        let first = comuni.scan()
        #expect(first.started == ["montealto", "valfiorita"])
        #expect(first.skipped["rotto"]?.contains("rotto/sportello.json") == true)
        #expect(
            first.serving == [
                "prenota.valfiorita.example.it": "valfiorita",
                "prenota.montealto.example.it": "montealto",
            ])
        #expect(health(comuni, host: "prenota.valfiorita.example.it") == 200)
        #expect(health(comuni, host: "PRENOTA.montealto.example.it:8080") == 200)
        #expect(health(comuni, host: "prenota.altrove.example.it") == 404)
        // Each comune answers from its own configuration and database.
        let toValfiorita = HTTPRequest(
            method: "GET", target: "/", path: "/", query: nil,
            headers: HTTPHeaders([("Host", "prenota.valfiorita.example.it")]))
        let valfiorita = try #require(comuni.application(for: toValfiorita))
        #expect(valfiorita.site.options.databasePath == "\(folder)/valfiorita/var/sportello.sqlite")
        #expect(valfiorita.configuration.comune.baseURL == "https://prenota.valfiorita.example.it")

        // Reload: montealto leaves (its database lock is released), the broken one is fixed and starts.
        #expect(rename("\(folder)/montealto/sportello.json", "\(folder)/montealto/sportello.json.off") == 0)
        try comune("rotto", host: "prenota.rotto.example.it", in: folder)
        let second = comuni.scan()
        #expect(second.stopped == ["montealto"] && second.started == ["rotto"] && second.skipped.isEmpty)
        #expect(health(comuni, host: "prenota.montealto.example.it") == 404)
        #expect(health(comuni, host: "prenota.rotto.example.it") == 200)
        #expect(health(comuni, host: "prenota.valfiorita.example.it") == 200)
        let lock = try DatabaseLock.acquire(databasePath: "\(folder)/montealto/var/sportello.sqlite")
        lock.release()

        // A second comune claiming a host name already served is skipped, not served in its place.
        try comune("doppione", host: "prenota.valfiorita.example.it", in: folder)
        let third = comuni.scan()
        #expect(third.skipped["doppione"]?.contains("already served by valfiorita") == true)
        #expect(
            comuni.application(for: toValfiorita)?.site.options.databasePath
                == "\(folder)/valfiorita/var/sportello.sqlite")
    }

    func request(_ method: String, _ path: String, host: String) -> HTTPRequest {
        HTTPRequest(
            method: method, target: path, path: path, query: nil,
            headers: HTTPHeaders([("Host", host), ("Content-Type", "application/x-www-form-urlencoded")]))
    }

    /// A slow responder holds the share's workers: past the share the comune is refused at once, completions of
    /// admitted work still pass, another comune's share is untouched, and a freed worker is used again.
    @Test func aComunePastItsShareIsRefusedAtOnceWhileAnotherIsAnswered() throws {
        let comuneA = WorkerShare(limit: 2)
        let comuneB = WorkerShare(limit: 2)
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for _ in 0..<2 {
            DispatchQueue.global().async(group: group) {
                _ = comuneA.answer(mayExceed: false) {
                    release.wait()
                    return .text(200, "slow\n")
                }
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while comuneA.occupied < 2 && Date() < deadline { usleep(1_000) }
        #expect(comuneA.occupied == 2)
        #expect(comuneA.answer(mayExceed: false) { .text(200, "third\n") } == nil)
        #expect(comuneA.refused == 1)
        #expect(comuneA.answer(mayExceed: true) { .text(201, "confirmation\n") }?.status == 201)
        #expect(comuneB.answer(mayExceed: false) { .text(200, "other comune\n") }?.status == 200)
        release.signal()
        release.signal()
        #expect(group.wait(timeout: .now() + 10) == .success)
        #expect(comuneA.occupied == 0)
        #expect(comuneA.answer(mayExceed: false) { .text(200, "again\n") }?.status == 200)
        #expect(WorkerShare(limit: 0).limit == 1)
        #expect(WorkerShare.standardLimit(HTTPLimits(workers: 16)) == 4)
        #expect(WorkerShare.standardLimit(HTTPLimits(workers: 2)) == 1)
    }

    /// The share in the host: a comune whose workers are all busy answers 503 + Retry-After in its language, its
    /// health probe still answers, and the other comune is served. Operators never cross comuni: each comune's
    /// operator tokens live in its own database.
    @Test func aBusyComuneLeavesTheOtherServedAndOperatorsNeverCrossComuni() throws {
        let folder = NSTemporaryDirectory() + "sportello-comuni-\(UUID().uuidString)"
        let log = Locked<[String]>([])
        let capture = Log.capture { line in log.withLock { $0.append(line) } }
        defer {
            remove(folder, whenBuiltAccordingTo: log)
            Log.endCapture(capture)
        }
        let (valfiorita, montealto) = ("prenota.valfiorita.example.it", "prenota.montealto.example.it")
        try comune("valfiorita", host: valfiorita, in: folder)
        try comune("montealto", host: montealto, in: folder)
        let templates = repositoryRoot.appendingPathComponent("site-templates").path
        // Started in the same batch as montealto (two at a time), a second comune claiming its host name is
        // stopped again and skipped: the folder first by name wins, as when they start one after another.
        try comune("montealto-bis", host: montealto, in: folder)
        let comuni = ComuneHost(directory: folder, templatesPath: templates, workersPerComune: 1)
        defer { comuni.stopAll() }
        let scan = comuni.scan()
        #expect(scan.started == ["montealto", "valfiorita"])
        #expect(scan.skipped["montealto-bis"]?.contains("already served by montealto") == true)
        try DatabaseLock.acquire(databasePath: "\(folder)/montealto-bis/var/sportello.sqlite").release()

        let hold = request("POST", "/api/holds", host: valfiorita)
        #expect(comuni.respond(to: hold).status != 503)
        let share = try #require(comuni.share(for: hold))
        #expect(share.limit == 1)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = share.answer(mayExceed: false) {
                release.wait()
                return .text(200, "slow\n")
            }
            done.signal()
        }
        let deadline = Date().addingTimeInterval(10)
        while share.occupied < 1 && Date() < deadline { usleep(1_000) }
        let refused = comuni.respond(to: hold)
        #expect(refused.status == 503)
        #expect(refused.headers.contains { $0.0 == "Retry-After" && $0.1 == "1" })
        #expect(!refused.headers.contains { $0.0.lowercased() == "connection" })
        #expect(String(decoding: refused.body, as: UTF8.self).contains("Servizio molto richiesto"))
        #expect(health(comuni, host: valfiorita) == 200)
        #expect(comuni.respond(to: request("HEAD", "/api/health", host: valfiorita)).status == 200)
        #expect(comuni.respond(to: request("POST", "/api/holds", host: montealto)).status != 503)
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(comuni.respond(to: hold).status != 503)

        let toValfiorita = try #require(comuni.application(for: hold))
        let toMontealto = try #require(comuni.application(for: request("GET", "/", host: montealto)))
        let (_, token) = try toValfiorita.operators.create(name: "anna", scope: ["*"], now: 1_800_000_000)
        #expect(try toValfiorita.operators.authenticate(token: token)?.name == "anna")
        #expect(try toMontealto.operators.authenticate(token: token) == nil)
        #expect(try toMontealto.operators.list().isEmpty)
    }
}
