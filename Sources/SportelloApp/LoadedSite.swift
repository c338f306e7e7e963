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
    /// Digest of what every page depends on besides its data, of the very bytes the site was loaded from
    /// (`SiteInputs.fingerprint()`); nil for a configuration built in memory, whose pages are then always rendered.
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
        // Every file is read once, then the configuration, the templates, the texts and the fingerprint are made
        // from those bytes on every core at once: each is a fixed cost of every start, and none needs another
        // (a cold `sportello build` of 100 services is over in some 150 ms, a warm one in a few tens). A broken
        // configuration is still the error reported first.
        let inputs = SiteInputs(configPath: options.configPath, templatesPath: options.templatesPath)
        let loaded = Mutex(LoadedParts())
        DispatchQueue.concurrentPerform(iterations: 4) { part in
            switch part {
            case 0:
                let configuration = Result { () throws(LoadError) -> (SiteConfiguration, Catalogue) in
                    let configuration = try Self.loadConfiguration(options, bytes: inputs.configuration)
                    return (configuration, Catalogue(configuration: configuration))
                }
                loaded.withLock { $0.configuration = configuration }
            case 1:
                // A folder not read whole is loaded by the library's own reader, which names what is wrong.
                let sources = inputs.complete ? inputs.templateSources() : nil
                let templates = Result { () throws(LoadError) in
                    try Self.loadTemplates(options, strict: strictTemplates, sources: sources)
                }
                loaded.withLock { $0.templates = (templates, sources != nil) }
            case 2:
                let fingerprint = inputs.fingerprint()
                loaded.withLock { $0.fingerprint = fingerprint }
            default:
                // Taken last, mostly once the configuration is read: then only its languages' texts are parsed,
                // else every language's whose file is there (the configuration says which are needed).
                let languages =
                    (try? loaded.withLock { $0.configuration }?.get())?.0.comune.languages
                    ?? SiteConfiguration.supportedLanguages
                var translations: [String: Result<Translations, LoadError>] = [:]
                for language in languages {
                    guard let bytes = inputs.file("i18n/\(language).json") else { continue }
                    translations[language] = Result { () throws(LoadError) in
                        try Self.loadTranslations(options, language: language, bytes: bytes)
                    }
                }
                loaded.withLock { $0.translations = translations }
            }
        }
        let parts = loaded.withLock { $0 }
        guard let configuration = parts.configuration, let (templates, templatesFromInputs) = parts.templates else {
            throw LoadError(description: "\(options.configPath): the site could not be loaded")
        }
        let (siteConfiguration, catalogue) = try configuration.get()
        // The fingerprint stands for what was loaded only when every part was made from the bytes it hashed.
        let textsFromInputs = siteConfiguration.comune.languages.allSatisfy { parts.translations[$0] != nil }
        let fromInputs = inputs.configuration != nil && templatesFromInputs && textsFromInputs
        let fingerprint = fromInputs ? parts.fingerprint : nil
        try self.init(
            configuration: siteConfiguration, catalogue: catalogue, options: options, templates: templates.get(),
            translations: parts.translations, inputsFingerprint: fingerprint)
    }

    /// What the parts of a load made, each filled in by the core that made it.
    private struct LoadedParts: Sendable {
        var configuration: Result<(SiteConfiguration, Catalogue), LoadError>?
        /// The templates, and whether they were compiled from the bytes the fingerprint hashed.
        var templates: (Result<TemplateLibrary, LoadError>, Bool)?
        var translations: [String: Result<Translations, LoadError>] = [:]
        var fingerprint: [UInt8]?
    }

    /// A site over a configuration already in hand (tests, several comuni in one process).
    public init(
        configuration: SiteConfiguration, options: Options, strictTemplates: Bool = true,
        inputsFingerprint: [UInt8]? = nil
    ) throws(LoadError) {
        try self.init(
            configuration: configuration, catalogue: Catalogue(configuration: configuration), options: options,
            templates: Self.loadTemplates(options, strict: strictTemplates, sources: nil), translations: [:],
            inputsFingerprint: inputsFingerprint)
    }

    /// The configuration parsed from `bytes` (the file as read), or loaded from its path when it could not be read.
    private static func loadConfiguration(_ options: Options, bytes: [UInt8]?) throws(LoadError) -> SiteConfiguration {
        do {
            guard let bytes else { return try SiteConfiguration.load(path: options.configPath) }
            return try SiteConfiguration.parse(Data(bytes))
        } catch {
            throw LoadError(description: "\(options.configPath): \(error)")
        }
    }

    /// The templates compiled from `sources` (name → text), or read from the templates folder when nil.
    private static func loadTemplates(
        _ options: Options, strict: Bool, sources: [String: String]?
    ) throws(LoadError) -> TemplateLibrary {
        do {
            guard let sources else { return try TemplateLibrary(directory: options.templatesPath, strict: strict) }
            return try TemplateLibrary(templates: sources, strict: strict)
        } catch {
            throw LoadError(description: "\(options.templatesPath): \(error)")
        }
    }

    /// The texts of `language`, from `bytes` (its file as read) or else from the file.
    private static func loadTranslations(
        _ options: Options, language: String, bytes: [UInt8]?
    ) throws(LoadError) -> Translations {
        do {
            guard let bytes else {
                return try Translations.load(directory: "\(options.templatesPath)/i18n", language: language)
            }
            return try Translations(language: language, json: Data(bytes))
        } catch {
            throw LoadError(description: "\(options.templatesPath)/i18n/\(language).json: \(error)")
        }
    }

    /// `translations`: the texts already loaded, by language; a language of the site missing there is loaded now.
    private init(
        configuration: SiteConfiguration, catalogue: Catalogue, options: Options, templates: TemplateLibrary,
        translations loaded: [String: Result<Translations, LoadError>], inputsFingerprint: [UInt8]?
    ) throws(LoadError) {
        self.options = options
        self.inputsFingerprint = inputsFingerprint
        self.configuration = configuration
        self.catalogue = catalogue
        var translations: [String: Translations] = [:]
        for language in configuration.comune.languages {
            if let texts = loaded[language] {
                translations[language] = try texts.get()
            } else {
                translations[language] = try Self.loadTranslations(options, language: language, bytes: nil)
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
