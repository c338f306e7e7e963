import CZlib
import Foundation
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloSite

/// Sportello's deflate encoder writes gzip members that zlib's `inflate` (and `gzip`, and Python) read back
/// byte for byte, whatever the input.
@Suite struct DeflateEncoderTests {
    /// Compresses with a fresh encoder and with the pooled one, checks both against each other and inflates.
    func roundTrip(_ input: [UInt8], _ label: String = "") throws -> [UInt8] {
        let compressed = try #require(Gzip.compress(input), "\(label)")
        #expect(compressed == DeflateEncoder().compress(input), "\(label)")
        #expect(compressed.prefix(3) == [0x1F, 0x8B, 8], "\(label)")
        let inflated = try #require(gunzippedInProcess(compressed), "\(label): zlib refused the stream")
        #expect(inflated == input, "\(label): \(input.count) bytes in, \(inflated.count) back")
        return compressed
    }

    @Test func shortInputsAndEveryByteValue() throws {
        _ = try roundTrip([], "empty")
        _ = try roundTrip([0x41], "one byte")
        // The fixed codes win for three bytes: 3 + 3 × 8 + 7 bits in 5 bytes, between the 10-byte header and the
        // 8-byte trailer (a stored block takes 8, a dynamic one more).
        #expect(try roundTrip(Array("abc".utf8), "three bytes").count == 23)
        _ = try roundTrip((0...255).map { UInt8($0) }, "every byte value once")
        _ = try roundTrip((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }, "every byte value, repeated")
        for size in 1...40 { _ = try roundTrip([UInt8](repeating: 0x20, count: size), "\(size) spaces") }
    }

    @Test func longRunsUseLongMatches() throws {
        // Distance 1, length 258 over and over.
        let run = try roundTrip([UInt8](repeating: 0x61, count: 100_000), "a run of 100,000")
        #expect(run.count < 1_000)
        var pattern: [UInt8] = []
        for row in 0..<2_000 { pattern += Array("<tr><td>\(row % 3)</td><td>libero</td></tr>\n".utf8) }
        let rows = try roundTrip(pattern, "table rows")
        #expect(rows.count * 20 < pattern.count)
        // Matches at the window's far end (distance 32,768) and just beyond it.
        var generator = SplitMix64(state: 7)
        let block = (0..<32_768).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        _ = try roundTrip(block + block + block, "distance 32,768")
        _ = try roundTrip(block + [1] + block, "distance 32,769")
    }

    /// The writer crosses the literals between two matches as a run read back from the input, two at a time:
    /// runs of every length from none to 40 (odd and even), runs at the start and the end of the input, and a
    /// block that ends inside a run of literals (over 32K symbols, no matches for the second half).
    @Test func literalRunsOfEveryLengthBetweenMatches() throws {
        var generator = SplitMix64(state: 99)
        var input: [UInt8] = []
        let row = Array("<td class=\"libero\">".utf8)
        for run in 0...40 {
            input += row
            input += (0..<run).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        }
        _ = try roundTrip(input, "runs between matches")
        _ = try roundTrip(Array(input.dropFirst(row.count)), "a run first")
        _ = try roundTrip(input + Array("x".utf8), "one literal last")
        var long = [UInt8](repeating: 0, count: 0)
        for _ in 0..<2_000 { long += row }
        long += (0..<40_000).map { _ in UInt8(truncatingIfNeeded: generator.next() % 200) }
        long += row + row + row
        let compressed = try roundTrip(long, "a block ending inside a run")
        #expect(compressed.count < long.count)
    }

    @Test func largeAndIncompressibleInputs() throws {
        var generator = SplitMix64(state: 42)
        let noise = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let stored = try roundTrip(noise, "300 KB of noise")
        #expect(stored.count < noise.count + noise.count / 1_000 + 64)
        var text: [UInt8] = []
        while text.count < 1_200_000 {
            text += Array("<li data-slot=\"\(generator.next() % 97)\">posti liberi: \(generator.next() % 5)</li>".utf8)
        }
        _ = try roundTrip(Array(text.prefix(70_000)), "70 KB of markup")
        let large = try roundTrip(text, "1.2 MB of markup (several blocks)")
        #expect(large.count * 4 < text.count)
        // Noise and markup in turns: blocks change type from one to the next.
        var mixed: [UInt8] = []
        for part in 0..<12 {
            mixed += part % 2 == 0 ? Array(noise[(part * 20_000)..<(part * 20_000 + 20_000)]) : text.prefix(40_000) + []
        }
        _ = try roundTrip(mixed, "noise and markup")
    }

    @Test func seededFuzzRoundTrips() throws {
        var generator = SplitMix64(state: 2026_12_02)
        let words = [
            "<div class=\"slot\">", "</div>", "libero", "09:30", "\n", "  ", "{\"start\":", "},", "é", "\u{0}",
        ]
        let started = Date()
        var cases = 0
        while cases < 3_000 && Date().timeIntervalSince(started) < 2 {
            let seed = generator.state
            var input: [UInt8] = []
            let size = Int(generator.next() % (cases % 50 == 0 ? 200_000 : 3_000))
            while input.count < size {
                switch generator.next() % 4 {
                case 0: input += Array(words[Int(generator.next() % UInt64(words.count))].utf8)
                case 1: input.append(UInt8(truncatingIfNeeded: generator.next()))
                case 2 where !input.isEmpty:
                    let back = Int(generator.next() % UInt64(min(input.count, 40_000))) + 1
                    let length = Int(generator.next() % 300)
                    for _ in 0..<length { input.append(input[input.count - back]) }
                default: input += [UInt8](repeating: UInt8(truncatingIfNeeded: generator.next()), count: 5)
                }
            }
            _ = try roundTrip(input, "fuzz seed \(seed)")
            cases += 1
        }
        #expect(cases >= 200)
    }

    @Test func everyTwinOfTheDemoSiteReadsBackAsItsPage() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        _ = try publisher.publishAll(now: rome("2026-11-25", "08:00"), source: FixtureOccupancy())
        let files = try #require(FileManager.default.enumerator(atPath: output)?.allObjects as? [String])
        var checked = 0
        var plainBytes = 0
        var compressedBytes = 0
        for file in files where file.hasSuffix(".gz") {
            let twin = try Array(Data(contentsOf: URL(fileURLWithPath: "\(output)/\(file)")))
            let page = try Array(Data(contentsOf: URL(fileURLWithPath: "\(output)/\(file.dropLast(3))")))
            #expect(gunzippedInProcess(twin) == page, "\(file)")
            plainBytes += page.count
            compressedBytes += twin.count
            checked += 1
        }
        #expect(checked > 100)
        #expect(compressedBytes * 3 < plainBytes)
        // One week page through /bin/gzip too.
        if let week = files.first(where: { $0.hasSuffix(".html.gz") && $0.contains("/") }) {
            let page = try Array(Data(contentsOf: URL(fileURLWithPath: "\(output)/\(week.dropLast(3))")))
            if let unpacked = try gunzipped("\(output)/\(week)") { #expect(unpacked == page) }
        }
    }

    @Test func codeLengthsStayWithinTheLimitAndFormACompleteCode() {
        // Fibonacci frequencies make the deepest tree: 30 symbols would need 29 bits unlimited.
        var frequencies = [UInt32](repeating: 0, count: 40)
        var (a, b): (UInt32, UInt32) = (1, 1)
        for symbol in 0..<30 {
            frequencies[symbol] = a
            (a, b) = (b, a + b)
        }
        for limit in [7, 15] {
            var lengths = [UInt8](repeating: 0, count: 40)
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 40)
            defer { scratch.deallocate() }
            frequencies.withUnsafeBufferPointer { frequencies in
                lengths.withUnsafeMutableBufferPointer { lengths in
                    HuffmanCode.buildLengths(
                        frequencies: frequencies.baseAddress!, count: 40, limit: limit, lengths: lengths.baseAddress!,
                        scratch: scratch)
                }
            }
            #expect(lengths.allSatisfy { $0 <= limit })
            #expect(lengths[30...].allSatisfy { $0 == 0 })
            #expect(lengths[..<30].allSatisfy { $0 > 0 })
            let kraft = lengths.reduce(0) { $0 + ($1 == 0 ? 0 : 1 << (limit - Int($1))) }
            #expect(kraft == 1 << limit, "limit \(limit)")
            // The most frequent symbol has the shortest code.
            #expect(lengths[29] == lengths[..<30].min())
        }
    }

    @Test func usedSymbolsSortByFrequencyThenSymbol() {
        // Small frequencies (counted), large ones (compared), ties, zeros and a lone large one.
        var generator = SplitMix64(state: 16)
        for round in 0..<200 {
            let count = round % 3 == 0 ? 288 : Int(generator.next() % 40) + 1
            let frequencies = (0..<count).map { _ -> UInt32 in
                switch generator.next() % 6 {
                case 0: 0
                case 1: UInt32(generator.next() % 4)
                case 2: UInt32(generator.next() % 64)
                case 3: UInt32(60 + generator.next() % 10)
                case 4: UInt32(generator.next() % 40_000)
                default: UInt32(generator.next() % 300)
                }
            }
            let expected = frequencies.enumerated().filter { $0.element != 0 }
                .map { UInt64($0.element) << 16 | UInt64($0.offset) }.sorted()
            var keys = [UInt64](repeating: 0, count: count)
            let used = frequencies.withUnsafeBufferPointer { frequencies in
                keys.withUnsafeMutableBufferPointer { keys in
                    HuffmanCode.sortUsedSymbols(
                        frequencies: frequencies.baseAddress!, count: count, into: keys.baseAddress!)
                }
            }
            #expect(used == expected.count, "round \(round)")
            #expect(Array(keys.prefix(used)) == expected, "round \(round)")
        }
    }
}

/// `bytes` (one gzip member) inflated by zlib, or nil when zlib finds it invalid or it does not end where the
/// member ends.
func gunzippedInProcess(_ bytes: [UInt8]) -> [UInt8]? {
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var input = bytes
    return input.withUnsafeMutableBufferPointer { input -> [UInt8]? in
        stream.next_in = input.baseAddress
        stream.avail_in = UInt32(input.count)
        while true {
            let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            result += chunk[0..<(chunk.count - Int(stream.avail_out))]
            if status == Z_STREAM_END { return stream.avail_in == 0 ? result : nil }
            if status != Z_OK { return nil }
        }
    }
}
