import Foundation
import SportelloCore
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// `sportello build`: the database opens while the site loads, and the process ends without taking the site apart.
@Suite struct BuildCommandTests {
    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-build-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// A configuration that does not load leaves no database behind (it is created only once the site loaded),
    /// and with an existing database its error is still the one reported.
    @Test func aBrokenConfigurationIsReportedAndCreatesNoDatabase() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = FixtureComune.options(in: folder)
        options.configPath = "\(folder)/broken.json"
        try Data("{ \"comune\": ".utf8).write(to: URL(fileURLWithPath: options.configPath))
        #expect {
            try Commands.build(options)
        } throws: { error in
            "\(error)".contains("broken.json") && "\(error)".contains("not valid JSON")
        }
        #expect(!FileManager.default.fileExists(atPath: options.databasePath))
        #expect(!FileManager.default.fileExists(atPath: options.outputPath))

        // The database made by a build that loaded; then the same broken configuration.
        var working = options
        working.configPath = FixtureComune.configurationPath()
        let built = try Commands.build(working)
        #expect(built.report.rendered > 0)
        #expect(FileManager.default.fileExists(atPath: options.databasePath))
        #expect {
            try Commands.build(options)
        } throws: { error in
            "\(error)".contains("not valid JSON")
        }
    }

    /// The one-shot command ends its process at once: its line still reaches a pipe (standard output is buffered
    /// there), and the database is closed first (its write-ahead log checkpointed and removed).
    @Test func theBuildProcessWritesItsLineAndClosesTheDatabase() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let options = FixtureComune.options(in: folder)
        let arguments = [
            "build", "--config", options.configPath, "--templates", options.templatesPath, "--output",
            options.outputPath, "--database", options.databasePath,
        ]
        for round in ["new database, new output", "existing database and output"] {
            let run = try runSportello(arguments)
            #expect(run.status == 0, "\(round): \(run.errors)")
            #expect(run.output.hasPrefix("built "), "\(round)")
            #expect(run.output.contains("pages into \(options.outputPath)/"), "\(round)")
            #expect(FileManager.default.fileExists(atPath: "\(options.outputPath)/index.html"), "\(round)")
            #expect(!FileManager.default.fileExists(atPath: options.databasePath + "-wal"), "\(round)")
            #expect(try DatabaseBackup.check(options.databasePath) == DatabaseBackup.currentSchemaVersion)
        }
    }
}
