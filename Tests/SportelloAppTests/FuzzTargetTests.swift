import Foundation
import SportelloCore
import SportelloHTTP
import Testing
@testable import SportelloApp

/// A short seeded run of each fuzz target over the repository's corpus (the long runs are Tests/fuzz/run),
/// and the verdicts the harness relies on.
@Suite struct FuzzTargetTests {
    static func seeds(_ target: FuzzTarget) -> [[UInt8]] {
        let folder = repositoryRoot.appendingPathComponent("Tests/fuzz/corpus/\(target.rawValue)").path
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.sorted().compactMap { FileManager.default.contents(atPath: "\(folder)/\($0)").map(Array.init) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seededInputsKeepEveryProperty(_ target: FuzzTarget) {
        let seeds = Self.seeds(target)
        #expect(seeds.count >= 2, "the corpus has seeds for \(target.rawValue)")
        var rng = SplitMix64(state: 0x5EED_0000 &+ UInt64(target.rawValue.utf8.count))
        let rounds = target == .config ? 300 : 3_000
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
        #expect(verdict("GET /a%20b HTTP/1.1\r\nHost: t\r\n\r\n") == .request(method: "GET", path: "/a b", bodyLength: 0))
        #expect(verdict("GET / HTTP/1.1\r\nHost: t\r\n") == .incomplete)
        #expect(verdict("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n") == .refused(400))
        #expect(verdict("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n") == .refused(411))
        #expect(verdict("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n") == .refused(400))
        #expect(verdict("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n\r\n") == .refused(414))
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
