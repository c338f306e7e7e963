import Foundation
import SportelloHTTP
import SportelloStore
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

    @Test func comuniAreChosenByHostNameABrokenOneIsSkippedAndAReloadAddsAndRemoves() throws {
        let folder = NSTemporaryDirectory() + "sportello-comuni-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
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
}
