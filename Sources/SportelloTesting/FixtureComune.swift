import Foundation
import SportelloApp
import SportelloCore

/// The comune the App tests and the endpoint fuzzer run against: `Tests/Fixtures/comune.json`, a frozen copy of
/// the demo comune as the tests were written for it (offices, capacities, closures, languages), so editing the
/// demo `sportello.json` never breaks a unit test. The templates are the repository's own: they are the product.
public enum FixtureComune {
    /// The repository this file was compiled from (tests and the fuzz harness run from a checkout).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the fixture's configuration lies in the repository at `root`.
    public static func configurationPath(root: URL = repositoryRoot) -> String {
        root.appendingPathComponent("Tests/Fixtures/comune.json").path
    }

    /// The repository's templates, translations and assets.
    public static func templatesPath(root: URL = repositoryRoot) -> String {
        root.appendingPathComponent("site-templates").path
    }

    /// The fixture comune's configuration file as bytes, for tests that change it before loading it.
    public static func data() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: configurationPath()))
    }

    /// The fixture comune, parsed.
    public static func configuration() throws -> SiteConfiguration {
        try SiteConfiguration.load(path: configurationPath())
    }

    /// The fixture's configuration and the repository's templates, with the pages and the database in `folder`.
    public static func options(in folder: String, root: URL = repositoryRoot) -> Options {
        var options = Options()
        options.configPath = configurationPath(root: root)
        options.templatesPath = templatesPath(root: root)
        options.outputPath = "\(folder)/output"
        options.databasePath = "\(folder)/db.sqlite"
        return options
    }
}
