import Foundation
import SportelloCore
import SportelloHTTP
import Testing

@testable import SportelloApp
@testable import SportelloTesting

/// A short seeded run of each fuzz target over the repository's corpus (the long runs are Tests/fuzz/run),
/// and the verdicts the harness relies on.
@Suite struct FuzzTargetTests {
    static func seeds(_ target: FuzzTarget) -> [[UInt8]] {
        let folder = repositoryRoot.appendingPathComponent("Tests/fuzz/corpus/\(target.rawValue)").path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.sorted().compactMap { FileManager.default.contents(atPath: "\(folder)/\($0)").map(Array.init) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seededInputsKeepEveryProperty(_ target: FuzzTarget) throws {
        let seeds = Self.seeds(target)
        #expect(seeds.count >= 2, "the corpus has seeds for \(target.rawValue)")
        // The shared fixture `check` runs the endpoint target on; this test is its only user.
        let endpoint = target == .endpoint ? try EndpointFuzz.prepare(root: repositoryRoot.path) : nil
        defer { endpoint?.remove() }
        var rng = SplitMix64(state: 0x5EED_0000 &+ UInt64(target.rawValue.utf8.count))
        // Each endpoint input is a whole request (a page rendered, a transaction): fewer, to stay within seconds.
        let rounds = target == .config ? 300 : target == .endpoint ? 600 : 3_000
        for round in 0..<rounds {
            var input = seeds.randomElement(using: &rng) ?? []
            for _ in 0..<Int.random(in: 1...3, using: &rng) { input = target.mutate(input, &rng) }
            let problem = target.check(input)
            #expect(problem == nil, "round \(round): \(problem ?? "")")
            if problem != nil { break }
        }
        for seed in seeds { #expect(target.check(seed) == nil) }
    }

    @Test func theParserVerdictsTheHarnessChecks() {
        func verdict(_ text: String) -> RequestParsing.Verdict { RequestParsing.verdict(Array(text.utf8)) }
        #expect(
            verdict("GET /a%20b HTTP/1.1\r\nHost: t\r\n\r\n") == .request(method: "GET", path: "/a b", bodyLength: 0))
        #expect(verdict("GET / HTTP/1.1\r\nHost: t\r\n") == .incomplete)
        #expect(
            verdict("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n")
                == .refused(400))
        #expect(verdict("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n") == .refused(411))
        #expect(verdict("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n") == .refused(400))
        #expect(verdict("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n") == .refused(414))
    }

    /// Regression: a long seeded run (about 900 inputs, its clock a second each) failed on health's 503, the
    /// right answer for an outbox nobody delivers; any other 5xx still fails.
    @Test func healthReportingTheUndeliveredOutboxIsNoFault() throws {
        let fixture = try EndpointFuzz(root: repositoryRoot.path)
        defer { fixture.remove() }
        let register =
            "accounts\n1\nnome=Pinco&cognome=Pallino&codice_fiscale=\(fixture.codiciFiscali[3])&email=p%40example.it&cellulare=3471234567"
        #expect(fixture.check(Array(register.utf8)) == nil)
        fixture.ticks.withLock { $0 += 3_600 }
        let input = Array("health\ng\n".utf8)
        #expect(fixture.application.respond(to: fixture.makeRequest(input).http).status == 503)
        #expect(fixture.check(input) == nil)
    }

    /// The inputs that used to trap `RomeTime` or cost seconds of search: every route refuses them with a 4xx,
    /// at once.
    @Test func extremeSlotsOnEveryNumericRouteAnswerA4xxInTime() throws {
        let fixture = try EndpointFuzz(root: repositoryRoot.path)
        defer { fixture.remove() }
        let slots = [
            "9223372036854775807", "9223372036854772208", "-9223372036854775808", "-9223372036854775807", "10413792000",
            "16725225600",
            "18446744073709551616", "-1", "0",
        ]
        for slot in slots {
            for service in ["certificati", "stato-civile", "carta-identita"] {
                for flags in ["j", "", "c", "pj"] {
                    let input = Array("holds\n\(flags)\nservice=\(service)&slot=\(slot)".utf8)
                    #expect(fixture.check(input) == nil, "\(slot) \(service) \(flags)")
                    let made = fixture.makeRequest(input).http
                    let response = fixture.shown(fixture.application.respond(to: made), after: made)
                    #expect((400...499).contains(response.status), "\(slot) \(service): \(response.status)")
                    if flags == "j" && slot != "18446744073709551616" {
                        #expect(
                            String(decoding: response.body, as: UTF8.self).contains("\"error\":\"slot_out_of_window\""),
                            "\(slot)")
                    }
                }
            }
        }
        // The refusal says until when one can book, in the citizen's language.
        for (flags, words) in [("j", "oggi si prenota fino al"), ("je", "today you can book up to")] {
            let response = fixture.application.respond(
                to: fixture.makeRequest(Array("holds\n\(flags)\nservice=certificati&slot=10413792000".utf8)).http)
            #expect(response.status == 422)
            #expect(String(decoding: response.body, as: UTF8.self).contains(words))
        }
        for (route, body) in [
            ("operator/agenda", "date=9999-12-31"), ("operator/agenda", "date=0000-01-01"),
            ("operator/stats", "from=0000-01-01&to=9999-12-31"),
            ("operator/blocks", "service=certificati&date=9999-12-31&from=08:00&to=24:00&desks=-9223372036854775808"),
            ("operator/blocks/remove", "id=9223372036854775807"), ("operator/blocks/remove", "id=-9223372036854775808"),
        ] {
            #expect(fixture.check(Array("\(route)\noj\n\(body)".utf8)) == nil, "\(route) \(body)")
        }
    }

    @Test func aFarButValidSlotCostsNoMoreThanANearOne() throws {
        let fixture = try EndpointFuzz(root: repositoryRoot.path)
        defer { fixture.remove() }
        // The CPU time of this thread (the request is answered on it): a busy machine does not stretch it.
        func seconds(_ slot: String) -> Double {
            let began = ThreadCPUTime.seconds()
            for _ in 0..<5 {
                _ = fixture.application.respond(
                    to: fixture.makeRequest(Array("holds\nj\nservice=stato-civile&slot=\(slot)".utf8)).http)
            }
            return (ThreadCPUTime.seconds() - began) / 5
        }
        // Real slots of the schedule in 2300 and 2500: the old search walked day by day back to today from them.
        let service = try #require(fixture.application.site.catalogue.service(id: "stato-civile"))
        let far = try [2300, 2500].map { year in
            let days = (1...14).compactMap { CivilDate(year: year, month: 11, day: $0) }
            return String(try #require(days.lazy.compactMap { service.slots(on: $0).first }.first).startInstant)
        }
        let near = seconds(String(fixture.slot(for: "stato-civile", hash: 1)))
        for slot in far { #expect(seconds(slot) < max(0.25, near * 10), "slot \(slot)") }
    }

    @Test func aConfigurationMutatedAsJSONIsStillJSON() throws {
        var rng = SplitMix64(state: 7)
        let demo = try #require(Self.seeds(.config).first)
        for _ in 0..<50 {
            let mutated = FuzzMutator.mutateJSON(demo, &rng)
            #expect((try? JSONSerialization.jsonObject(with: Data(mutated), options: [.fragmentsAllowed])) != nil)
        }
    }
}
