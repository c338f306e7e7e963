import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Synchronization

/// Everything loaded from disk that the generator and the endpoint share: configuration, catalogue,
/// templates and translations. Loading fails with a message that names the file and the problem.
public struct LoadedSite: Sendable {
    /// The comune's parsed `sportello.json`.
    public let configuration: SiteConfiguration
    /// The offices and services built from the configuration.
    public let catalogue: Catalogue
    /// Renders pages from the loaded templates and translations.
    public let renderer: PageRenderer
    /// The command-line options it was loaded with (paths to output, database, templates).
    public let options: Options
    /// Digest of what every page depends on besides its data, read before loading (see `inputsFingerprint(of:)`);
    /// nil for a configuration built in memory, whose pages are then always rendered.
    public let inputsFingerprint: [UInt8]?

    /// A file that could not be loaded, named with the problem.
    public struct LoadError: Error, CustomStringConvertible {
        /// The file and what is wrong with it.
        public let description: String
    }

    /// `strictTemplates`: a name a template uses that its context lacks is an error, not an empty string, for
    /// every command (`build` stops before publishing; `serve`'s publisher, endpoint pages and messages fail and
    /// log instead of showing an empty text). Only a tool that renders a comune's own, untrusted templates
    /// leniently would turn it off (docs/ARCHITECTURE.md §2).
    public init(options: Options, strictTemplates: Bool = true) throws(LoadError) {
        // Read before the files are loaded: a file changed in between gives a fingerprint the next start
        // does not find again, so its pages are rendered anew rather than kept.
        let fingerprint = Self.inputsFingerprint(of: options)
        // The templates compile while the configuration is read: neither needs the other, and both are fixed
        // costs of every start (a warm `sportello build` of 100 services is over in a few tens of milliseconds).
        // A broken configuration is still the error reported first.
        let loaded = Mutex<(Result<SiteConfiguration, LoadError>?, Result<TemplateLibrary, LoadError>?)>((nil, nil))
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                let configuration = Result { () throws(LoadError) in
                    do { return try SiteConfiguration.load(path: options.configPath) } catch {
                        throw LoadError(description: "\(options.configPath): \(error)")
                    }
                }
                loaded.withLock { $0.0 = configuration }
            } else {
                let templates = Result { () throws(LoadError) in
                    try Self.loadTemplates(options, strict: strictTemplates)
                }
                loaded.withLock { $0.1 = templates }
            }
        }
        let (configuration, templates) = loaded.withLock { $0 }
        guard let configuration, let templates else {
            throw LoadError(description: "\(options.configPath): the site could not be loaded")
        }
        try self.init(
            configuration: configuration.get(), options: options, templates: templates.get(),
            inputsFingerprint: fingerprint)
    }

    /// A site over a configuration already in hand (tests, several comuni in one process).
    public init(
        configuration: SiteConfiguration, options: Options, strictTemplates: Bool = true,
        inputsFingerprint: [UInt8]? = nil
    ) throws(LoadError) {
        try self.init(
            configuration: configuration, options: options,
            templates: Self.loadTemplates(options, strict: strictTemplates), inputsFingerprint: inputsFingerprint)
    }

    private static func loadTemplates(_ options: Options, strict: Bool) throws(LoadError) -> TemplateLibrary {
        do {
            return try TemplateLibrary(directory: options.templatesPath, strict: strict)
        } catch {
            throw LoadError(description: "\(options.templatesPath): \(error)")
        }
    }

    private init(
        configuration: SiteConfiguration, options: Options, templates: TemplateLibrary, inputsFingerprint: [UInt8]?
    ) throws(LoadError) {
        self.options = options
        self.inputsFingerprint = inputsFingerprint
        self.configuration = configuration
        catalogue = Catalogue(configuration: configuration)
        var translations: [String: Translations] = [:]
        for language in configuration.comune.languages {
            do {
                translations[language] = try Translations.load(
                    directory: "\(options.templatesPath)/i18n", language: language)
            } catch {
                throw LoadError(description: "\(options.templatesPath)/i18n/\(language).json: \(error)")
            }
        }
        for page in [
            "layout", "catalogue", "service", "week", "404", "cancel", "hold", "summary", "confirmed", "cancelled",
            "error", "operator-login", "operator-agenda", "account", "notice", "my-bookings", "receipt",
            "operator-grid", "operator-statistics", "my-bookings-week",
            "operator-book",
        ] where !templates.has(page) {
            throw LoadError(description: "\(options.templatesPath): the template \"\(page).html\" is missing")
        }
        renderer = PageRenderer(catalogue: catalogue, templates: templates, translations: translations)
    }

    /// A publisher writing this site's pages and assets into the output folder.
    public func makePublisher() -> SitePublisher {
        SitePublisher(
            renderer: renderer, outputDirectory: options.outputPath,
            assetsDirectory: "\(options.templatesPath)/assets", inputsFingerprint: inputsFingerprint)
    }

    /// SHA-256 of the running program (its size, modification time and inode), the version, the configuration
    /// file and every template and translation file (names and bytes); nil when one cannot be read. The
    /// assets are not pages' inputs: they are copied and compared byte for byte.
    static func inputsFingerprint(of options: Options) -> [UInt8]? {
        var input = Array("\(sportelloVersion)\n".utf8)
        var program = stat()
        guard stat("/proc/self/exe", &program) == 0 else { return nil }
        let modified = program.st_mtim
        input.append(contentsOf: "\(program.st_size) \(modified.tv_sec).\(modified.tv_nsec) \(program.st_ino)\n".utf8)
        guard let configuration = FileManager.default.contents(atPath: options.configPath) else { return nil }
        input.append(contentsOf: configuration)
        let root = URL(fileURLWithPath: options.templatesPath).standardizedFileURL.path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return nil }
        var names: [String] = []
        for case let name as String in enumerator where !name.hasPrefix("assets") && !name.hasPrefix(".") {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder), !isFolder.boolValue {
                names.append(name)
            }
        }
        for name in names.sorted() {
            guard let bytes = FileManager.default.contents(atPath: "\(root)/\(name)") else { return nil }
            input.append(contentsOf: "\n\(name) \(bytes.count)\n".utf8)
            input.append(contentsOf: bytes)
        }
        return SHA256.hash(input)
    }
}

extension LoadedSite {
    /// Opens the database, rebuilds every page (a crash may have left pages behind the database) and wires
    /// the endpoint. The one place `serve`, the benchmarks and the tests start an application from.
    ///
    /// `buildFirst: false` skips the rebuild (the report is empty): `serve` listens first and rebuilds in the
    /// background (`Application.rebuildInBackground`). `wrapSource` lets a test slow the publisher's reads.
    public func openApplication(
        clock: @escaping @Sendable () -> Int64 = currentInstant,
        onPublished: (@Sendable (Set<PageID>) -> Void)? = nil, buildFirst: Bool = true,
        wrapSource: (any OccupancySource) -> any OccupancySource = { $0 }
    ) throws -> (Application, PublishReport) {
        let store = BookingStore(database: try openDatabase())
        let publisher = makePublisher()
        let source = wrapSource(StoreOccupancy(store: store, catalogue: catalogue))
        let report = buildFirst ? try publisher.publishAll(now: clock(), source: source) : PublishReport()
        let application = Application(
            site: self, store: store, publisher: publisher, source: source, clock: clock, onPublished: onPublished)
        return (application, report)
    }

    /// The comune's database as every command that writes opens it, with `replication.litestream` applied.
    public func openDatabase() throws -> Database {
        let database = try Database(path: options.databasePath)
        if configuration.replicatedByLitestream { database.leaveLogToReplicator() }
        return database
    }
}

/// Seconds since the epoch, the clock every component is given explicitly.
public func currentInstant() -> Int64 { Int64(Date().timeIntervalSince1970) }
