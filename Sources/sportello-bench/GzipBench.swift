import Foundation
import SportelloSite
import SportelloTesting

/// sportello-bench gzip --folder DIR [--rounds 5]: compresses every file of a built output folder (its `.gz`
/// twins left out) with Sportello's encoder and with zlib at level 3, the two alternating round after round, and
/// prints per kind of file the CPU time per file, the speed and the compressed size of each. Every output of
/// Sportello's encoder is checked once with `gzip -t` beside the timing (one stream of all members).
func gzipBenchmark(folder: String, rounds: Int) throws -> Bool {
    let files = try gzipBenchFiles(folder)
    guard !files.isEmpty else {
        print("sportello-bench gzip: no files in \(folder) (give a `sportello build` output folder)")
        return false
    }
    let kinds = ["week page", "other page", "week JSON", "CSS, JS, SVG"]
    var inputBytes = [Int](repeating: 0, count: kinds.count)
    var fileCounts = [Int](repeating: 0, count: kinds.count)
    for file in files {
        inputBytes[file.kind] += file.bytes.count
        fileCounts[file.kind] += 1
    }
    print(
        String(
            format: "sportello-bench gzip: %d files, %.1f MB, %d rounds alternating; other work on the machine: %.0f%%",
            files.count, Double(inputBytes.reduce(0, +)) / 1e6, rounds, backgroundLoad() * 100))
    let encoders: [(name: String, compress: ([UInt8]) -> [UInt8]?)] = [
        ("sportello", { Gzip.compress($0) }), ("zlib 3", { Gzip.compressWithZlib($0, level: 3) }),
    ]
    // seconds[encoder][kind] per round; sizes[encoder][kind] from the last round.
    var seconds = [[[Double]]](repeating: [[Double]](repeating: [], count: kinds.count), count: encoders.count)
    var sizes = [[Int]](repeating: [Int](repeating: 0, count: kinds.count), count: encoders.count)
    var failures = 0
    for round in 0..<rounds {
        let order = round % 2 == 0 ? [0, 1] : [1, 0]
        for encoder in order {
            var spent = [Double](repeating: 0, count: kinds.count)
            var written = [Int](repeating: 0, count: kinds.count)
            for file in files {
                let started = ThreadCPUTime.seconds()
                let compressed = encoders[encoder].compress(file.bytes)
                spent[file.kind] += ThreadCPUTime.seconds() - started
                guard let compressed else {
                    failures += 1
                    continue
                }
                written[file.kind] += compressed.count
            }
            for kind in kinds.indices { seconds[encoder][kind].append(spent[kind]) }
            sizes[encoder] = written
        }
    }
    let checked = try gzipCheck(files.compactMap { Gzip.compress($0.bytes) })
    print("kind          files   KB in  encoder     µs/file   MB/s   KB out  out/in  size vs zlib  time vs zlib")
    for kind in kinds.indices where fileCounts[kind] > 0 {
        let zlibSeconds = median(seconds[1][kind])
        for encoder in encoders.indices {
            let spent = median(seconds[encoder][kind])
            print(
                String(
                    format: "%@  %5d  %6.0f  %@  %7.1f  %5.0f  %7.0f  %5.1f%%  %11.3f×  %11.3f×",
                    kinds[kind].padding(toLength: 12, withPad: " ", startingAt: 0), fileCounts[kind],
                    Double(inputBytes[kind]) / 1_000,
                    encoders[encoder].name.padding(toLength: 10, withPad: " ", startingAt: 0),
                    spent / Double(fileCounts[kind]) * 1e6,
                    Double(inputBytes[kind]) / spent / 1e6, Double(sizes[encoder][kind]) / 1_000,
                    Double(sizes[encoder][kind]) / Double(inputBytes[kind]) * 100,
                    Double(sizes[encoder][kind]) / Double(max(1, sizes[1][kind])), spent / zlibSeconds))
        }
    }
    print(checked ? "gzip -t: every member of Sportello's encoder valid" : "gzip -t: FAILED")
    if failures > 0 { print("sportello-bench gzip: \(failures) files not compressed") }
    return checked && failures == 0
}

/// The files under `folder` but its `.gz`, each with its kind's index (see `gzipBenchmark`).
private func gzipBenchFiles(_ folder: String) throws -> [(kind: Int, bytes: [UInt8])] {
    guard let names = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] else { return [] }
    var files: [(kind: Int, bytes: [UInt8])] = []
    for name in names.sorted() where !name.hasSuffix(".gz") {
        var isFolder: ObjCBool = false
        let path = "\(folder)/\(name)"
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            continue
        }
        let kind =
            name.hasSuffix(".json")
            ? 2
            : name.hasSuffix(".html")
                ? (name.range(of: #"-W\d\d\.html$"#, options: .regularExpression) != nil ? 0 : 1)
                : 3
        files.append((kind, Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
    }
    return files
}

/// True when `gzip -t` accepts the members written one after another (gzip reads concatenated members as one).
private func gzipCheck(_ members: [[UInt8]]) throws -> Bool {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-gzip-\(getpid()).gz").path
    defer { unlink(path) }
    try Data(members.flatMap { $0 }).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-t", path]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus == 0
}
