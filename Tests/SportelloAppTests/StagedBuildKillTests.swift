import Foundation
import SportelloTesting
import Testing

/// `kill -9` of a first `sportello build` (staged beside the output folder, docs/ARCHITECTURE.md §4): readers
/// find no output folder or a whole one, and the next build leaves no staging folder behind.
@Suite(.serialized) struct StagedBuildKillTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-kill-\(UUID().uuidString)")
        .path

    var arguments: [String] {
        [
            "build", "--config", FixtureComune.configurationPath(), "--templates",
            repositoryRoot.appendingPathComponent("site-templates").path, "--output", "\(folder)/output",
            "--database", "\(folder)/db.sqlite",
        ]
    }

    /// The names in the comune's folder besides the database's own files.
    func siblings() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix("db.sqlite") }.sorted()
    }

    /// An output folder, if there is one, holds the whole site: its last files (the fixed pages, the assets)
    /// and every page's `.gz`.
    func expectWholeOrAbsent(_ context: String) {
        let output = "\(folder)/output"
        guard FileManager.default.fileExists(atPath: output) else { return }
        #expect(FileManager.default.fileExists(atPath: "\(output)/404.html.gz"), "\(context)")
        #expect(FileManager.default.fileExists(atPath: "\(output)/assets"), "\(context)")
        let names = FileManager.default.enumerator(atPath: output)?.compactMap { $0 as? String } ?? []
        for name in names where name.hasSuffix(".html") {
            #expect(names.contains(name + ".gz"), "\(context): \(name)")
        }
    }

    /// A `sportello build` started and left running, its output discarded.
    func startBuild() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sportelloExecutable())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func aKilledFirstBuildLeavesNoHalfSiteAndTheNextCleansUp() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { TemporaryFolder.removeTree(folder) }
        // The database first, so the kills fall in the build rather than in creating it.
        let first = try runSportello(arguments)
        #expect(first.status == 0, "\(first.errors)")
        try FileManager.default.removeItem(atPath: "\(folder)/output")
        var killedDuringBuild = 0
        for delay in [0.02, 0.05, 0.1, 0.2, 0.4, 0.8] {
            let process = try startBuild()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killedDuringBuild += 1
            }
            process.waitUntilExit()
            expectWholeOrAbsent("killed after \(delay) s")
            // A killed build leaves at most its own staging folder; a finished one leaves none.
            let staging = try siblings().filter { $0.hasPrefix("output.staging-") }
            #expect(staging.count <= 1, "\(staging)")
            try? FileManager.default.removeItem(atPath: "\(folder)/output")
        }
        #expect(killedDuringBuild > 0)
        // A dead build's staging folder is left where it was; the next first build removes it.
        let process = try startBuild()
        Thread.sleep(forTimeInterval: 0.1)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let last = try runSportello(arguments)
        #expect(last.status == 0, "\(last.errors)")
        #expect(try siblings() == ["output"])
        expectWholeOrAbsent("after the last build")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/output/404.html"))
    }
}
