import Foundation
import Synchronization
import Testing

@testable import SportelloSite

/// The encoders and zlib streams `Gzip` keeps between files start each file afresh: reusing one changes no byte.
@Suite struct GzipTests {
    /// Pages of every size, empty to larger than zlib's window, half repetitive, half noise.
    func sample(_ size: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<size).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return index % 2 == 0 ? UInt8(truncatingIfNeeded: index / 7) : UInt8(truncatingIfNeeded: state >> 59)
        }
    }

    @Test func reusedStreamsWriteWhatAFreshStreamWritesFromManyThreads() throws {
        let sizes = [0, 1, 120, 5_000, 70_000, 300_000, 16]
        let inputs = (0..<48).map { sample(sizes[$0 % sizes.count], seed: UInt64($0)) }
        let expected = try inputs.map { try #require(DeflateStream(level: 3)?.compress($0)) }
        let results = Mutex<[Int: [UInt8]]>([:])
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            let compressed = Gzip.compressWithZlib(inputs[index], level: 3)
            results.withLock { $0[index] = compressed }
        }
        let compressed = results.withLock { $0 }
        for index in inputs.indices {
            #expect(compressed[index] == expected[index], "file \(index)")
            #expect(compressed[index]?.prefix(2) == [0x1F, 0x8B])
        }
        // Another level from the same pool is its own stream.
        #expect(Gzip.compressWithZlib(inputs[4], level: 9) == DeflateStream(level: 9)?.compress(inputs[4]))
    }

    @Test func reusedEncodersWriteWhatAFreshEncoderWritesFromManyThreads() throws {
        let sizes = [0, 1, 120, 5_000, 70_000, 300_000, 16]
        let inputs = (0..<48).map { sample(sizes[$0 % sizes.count], seed: UInt64($0)) }
        let expected = try inputs.map { try #require(DeflateEncoder().compress($0)) }
        let results = Mutex<[Int: [UInt8]]>([:])
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            let compressed = Gzip.compress(inputs[index])
            results.withLock { $0[index] = compressed }
        }
        let compressed = results.withLock { $0 }
        for index in inputs.indices {
            #expect(compressed[index] == expected[index], "file \(index)")
            #expect(compressed[index].flatMap(gunzippedInProcess) == inputs[index], "file \(index)")
        }
    }

    @Test func gzipReadsBackTheBytes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return }
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (index, size) in [0, 900, 200_000].enumerated() {
            let input = sample(size, seed: 99 + UInt64(index))
            let file = "\(folder)/\(index).gz"
            try Data(try #require(Gzip.compress(input))).write(to: URL(fileURLWithPath: file))
            #expect(try gunzipped(file) == input, "size \(size)")
        }
    }
}

/// The bytes `/bin/gzip -dc` reads from the file at `path`: nil where there is no gzip, an error where it fails.
func gunzipped(_ path: String) throws -> [UInt8]? {
    guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
    return Array(output)
}
