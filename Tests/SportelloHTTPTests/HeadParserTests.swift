import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloHTTP

@Suite struct HeadParserTests {
    static func describe(_ step: HeadParser.Step) -> String {
        switch step {
        case .needMore: "more"
        case .failed(let status): "fail \(status)"
        case .complete(let head, let consumed):
            "done \(consumed) \(head.method) \(head.target) \(head.minorVersion) \(head.fields.map { "\($0.0)=\($0.1)" })"
        }
    }

    static func parseWhole(_ bytes: [UInt8], _ limits: HTTPLimits) -> String {
        var parser = HeadParser(limits: limits)
        return describe(parser.advance(bytes))
    }

    /// Feeding the bytes in arbitrary pieces gives exactly the verdict of feeding them at once.
    @Test func verdictDoesNotDependOnHowBytesArrive() {
        var rng = SplitMix64(state: 7)
        let limits = HTTPLimits(requestLine: 64, headerBlock: 256, headerFields: 6)
        let seeds =
            FuzzTests.seeds + [
                "GET /" + String(repeating: "p", count: 70) + " HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET / HTTP/1.1\r\n" + (0..<8).map { "X-\($0): " + String(repeating: "v", count: 30) + "\r\n" }.joined()
                    + "\r\n",
            ]
        for _ in 0..<3000 {
            let input = FuzzTests.mutate(Array((seeds.randomElement(using: &rng) ?? "").utf8), &rng)
            let whole = Self.parseWhole(input, limits)
            var parser = HeadParser(limits: limits)
            var buffer: [UInt8] = []
            var verdict = "more"
            var offset = 0
            while offset < input.count {
                let piece = Int.random(in: 1...max(1, input.count / 3), using: &rng)
                buffer += input[offset..<min(input.count, offset + piece)]
                offset += piece
                verdict = Self.describe(parser.advance(buffer))
                if verdict != "more" { break }
            }
            #expect(verdict == whole, "\(String(decoding: input, as: UTF8.self).debugDescription)")
            if verdict != whole { return }
        }
    }

    @Test func limitsAreExact() {
        let limits = HTTPLimits(requestLine: 20, headerBlock: 30, headerFields: 2)
        let line = "GET /" + String(repeating: "a", count: 6) + " HTTP/1.1"  // 20 bytes
        #expect(Self.parseWhole(Array((line + "\r\nHost: t\r\n\r\n").utf8), limits).hasPrefix("done"))
        #expect(Self.parseWhole(Array(("GET /aaaaaaa HTTP/1.1\r\nHost: t\r\n\r\n").utf8), limits) == "fail 414")
        // Header block: "Host: t\r\n" (9) + "X: 1234567890123456789\r\n" (24) > 30.
        #expect(
            Self.parseWhole(Array((line + "\r\nHost: t\r\nX: 1234567890123456789\r\n\r\n").utf8), limits) == "fail 431")
        #expect(
            Self.parseWhole(Array((line + "\r\nHost: t\r\nX: 1234567890123456\r\n\r\n").utf8), limits).hasPrefix("done")
        )
        #expect(Self.parseWhole(Array((line + "\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n").utf8), limits) == "fail 431")
        #expect(Self.parseWhole(Array(("\r\n\r\n" + line + "\r\nA: 1\r\n\r\n").utf8), limits).hasPrefix("done"))
        #expect(
            Self.parseWhole(Array((String(repeating: "\r\n", count: 9) + line + "\r\n\r\n").utf8), limits) == "fail 400"
        )
    }
}
