import Foundation
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloApp
@testable import SportelloSite

/// The site's files read once (`SiteInputs`): the fingerprint that lets unchanged pages be kept and the stranded
/// bookings check be cut short is made from the very bytes the site loads.
@Suite struct SiteInputsTests {
    /// A copy of the fixture comune's configuration and of the repository's templates in a folder of its own.
    func copiedSite() throws -> (folder: String, options: Options) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-inputs-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FixtureComune.templatesPath(), toPath: "\(folder)/templates")
        try FileManager.default.copyItem(atPath: FixtureComune.configurationPath(), toPath: "\(folder)/comune.json")
        var options = FixtureComune.options(in: folder)
        options.configPath = "\(folder)/comune.json"
        options.templatesPath = "\(folder)/templates"
        return (folder, options)
    }

    func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    func fingerprint(_ options: Options) throws -> [UInt8] {
        let site = try LoadedSite(options: options)
        return try #require(site.inputsFingerprint)
    }

    @Test func theFingerprintChangesWithEveryInputOfThePagesAndOnlyWithThem() throws {
        let (folder, options) = try copiedSite()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try fingerprint(options)
        #expect(try fingerprint(options) == first)
        // An asset is copied and compared byte for byte: not an input of the pages.
        try append("\n/* restyled */\n", to: "\(options.templatesPath)/assets/sportello.css")
        #expect(try fingerprint(options) == first)
        var seen = [first]
        for (file, addition) in [
            ("templates/week.html", "\n<!-- edited -->\n"), ("templates/partials/steps.html", "\n"),
            ("templates/mail/confirmed.txt", "\nP.S.\n"), ("comune.json", "\n"), ("templates/NOTES.md", "notes"),
        ] {
            if !FileManager.default.fileExists(atPath: "\(folder)/\(file)") {
                #expect(FileManager.default.createFile(atPath: "\(folder)/\(file)", contents: nil))
            }
            try append(addition, to: "\(folder)/\(file)")
            let changed = try fingerprint(options)
            #expect(!seen.contains(changed), "\(file)")
            seen.append(changed)
        }
        // The texts: the same keys with another text.
        let texts = "\(options.templatesPath)/i18n/en.json"
        let english = try String(contentsOfFile: texts, encoding: .utf8)
        try english.replacingOccurrences(of: "\"Bookable services\"", with: "\"Services to book\"").write(
            toFile: texts, atomically: true, encoding: .utf8)
        #expect(!seen.contains(try fingerprint(options)))
    }

    /// The fingerprint hashes the program, the version, the configuration and each file of the templates folder
    /// but the assets, by name, in name order: the same layout as before the files were read once, so what the
    /// stranded bookings check recorded stays comparable.
    @Test func theFingerprintHashesTheFilesTheSiteWasLoadedFrom() throws {
        let (folder, options) = try copiedSite()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inputs = SiteInputs(configPath: options.configPath, templatesPath: options.templatesPath)
        #expect(inputs.complete)
        let names = inputs.files.map(\.name)
        #expect(names == names.sorted())
        #expect(names.contains("week.html") && names.contains("i18n/it.json") && names.contains("mail/confirmed.txt"))
        #expect(!names.contains { $0.hasPrefix("assets") })
        var program = stat()
        #expect(stat("/proc/self/exe", &program) == 0)
        var expected = Array("\(sportelloVersion)\n".utf8)
        let modified = program.st_mtim
        expected.append(
            contentsOf: "\(program.st_size) \(modified.tv_sec).\(modified.tv_nsec) \(program.st_ino)\n".utf8)
        expected.append(contentsOf: try Data(contentsOf: URL(fileURLWithPath: options.configPath)))
        for name in names {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(options.templatesPath)/\(name)"))
            expected.append(contentsOf: "\n\(name) \(bytes.count)\n".utf8)
            expected.append(contentsOf: bytes)
        }
        #expect(inputs.fingerprint() == SHA256.hash(expected))
        #expect(try LoadedSite(options: options).inputsFingerprint == SHA256.hash(expected))
    }

    /// The templates compiled from the files read once are those the templates folder's own loader finds.
    @Test func theTemplatesReadOnceAreTheFoldersTemplates() throws {
        let inputs = SiteInputs(
            configPath: FixtureComune.configurationPath(), templatesPath: FixtureComune.templatesPath())
        let sources = try #require(inputs.templateSources())
        let library = try TemplateLibrary(directory: FixtureComune.templatesPath())
        #expect(Set(sources.keys) == Set(library.templates.keys))
        #expect(
            sources["week"]
                == (try String(contentsOfFile: "\(FixtureComune.templatesPath())/week.html", encoding: .utf8)))
    }

    /// A folder reached through a link is not walked into, as the templates' own loader never did.
    @Test func aLinkedFolderIsNotRead() throws {
        let (folder, options) = try copiedSite()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.moveItem(atPath: "\(options.templatesPath)/mail", toPath: "\(folder)/mail")
        try FileManager.default.createSymbolicLink(
            atPath: "\(options.templatesPath)/mail", withDestinationPath: "\(folder)/mail")
        let inputs = SiteInputs(configPath: options.configPath, templatesPath: options.templatesPath)
        #expect(!inputs.files.contains { $0.name.hasPrefix("mail") })
        // A linked file is read.
        try FileManager.default.createSymbolicLink(
            atPath: "\(options.templatesPath)/extra.html", withDestinationPath: "\(folder)/mail/confirmed.html")
        let linked = SiteInputs(configPath: options.configPath, templatesPath: options.templatesPath)
        #expect(
            linked.file("extra.html")
                == Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/mail/confirmed.html"))))
    }

    /// What cannot be read is reported as before: by the loader of that file.
    @Test func aMissingFolderOrTextIsReportedByItsLoader() throws {
        let (folder, options) = try copiedSite()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.removeItem(atPath: "\(options.templatesPath)/i18n/en.json")
        #expect {
            try LoadedSite(options: options)
        } throws: { error in
            "\(error)".contains("\(options.templatesPath)/i18n/en.json:")
        }
        var missing = options
        missing.templatesPath = "\(folder)/nowhere"
        #expect {
            try LoadedSite(options: missing)
        } throws: { error in
            // As before the files were read once: a folder that is not there has no texts.
            "\(error)".contains("\(folder)/nowhere/i18n/it.json:")
        }
        var noConfiguration = options
        noConfiguration.configPath = "\(folder)/missing.json"
        #expect {
            try LoadedSite(options: noConfiguration)
        } throws: { error in
            "\(error)".contains("there is no such file")
        }
    }

    /// The texts of a language the site is not published in are not loaded, even when the files are read once and
    /// its texts are parsed beside the configuration: a broken one is no error there, and still part of the
    /// fingerprint (a file of the templates folder).
    @Test func textsOfALanguageTheSiteIsNotInAreNotLoaded() throws {
        let (folder, options) = try copiedSite()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A comune in Italian only.
        try #"""
        {"comune": {"name": "Comune di Prova", "baseURL": "https://prenota.prova.example.it"},
         "services": [{"id": "anagrafe", "name": "Anagrafe", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}]}
        """#.write(toFile: options.configPath, atomically: true, encoding: .utf8)
        let before = try fingerprint(options)
        try "{ not json".write(toFile: "\(options.templatesPath)/i18n/en.json", atomically: true, encoding: .utf8)
        let site = try LoadedSite(options: options)
        #expect(site.renderer.translations.keys.sorted() == ["it"])
        #expect(site.inputsFingerprint != nil && site.inputsFingerprint != before)
    }
}
