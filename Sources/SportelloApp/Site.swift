import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// Everything loaded from disk that the generator and the endpoint share: configuration, catalogue,
/// templates and translations. Loading fails with a message that names the file and the problem.
public struct LoadedSite: Sendable {
    public let configuration: SiteConfiguration
    public let catalogue: Catalogue
    public let renderer: PageRenderer
    public let options: Options

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `strictTemplates`: a name a template uses that its context lacks is an error, not an empty string
    /// (`sportello build`, so a typo fails before it is published; `serve` renders leniently).
    public init(options: Options, strictTemplates: Bool = false) throws(LoadError) {
        let configuration: SiteConfiguration
        do {
            configuration = try SiteConfiguration.load(path: options.configPath)
        } catch {
            throw LoadError(description: "\(options.configPath): \(error)")
        }
        try self.init(configuration: configuration, options: options, strictTemplates: strictTemplates)
    }

    public init(configuration: SiteConfiguration, options: Options, strictTemplates: Bool = false) throws(LoadError) {
        self.options = options
        self.configuration = configuration
        catalogue = Catalogue(configuration: configuration)
        let templates: TemplateLibrary
        do {
            templates = try TemplateLibrary(directory: options.templatesPath, strict: strictTemplates)
        } catch {
            throw LoadError(description: "\(options.templatesPath): \(error)")
        }
        var translations: [String: Translations] = [:]
        for language in configuration.comune.languages {
            do {
                translations[language] = try Translations.load(directory: "\(options.templatesPath)/i18n", language: language)
            } catch {
                throw LoadError(description: "\(options.templatesPath)/i18n/\(language).json: \(error)")
            }
        }
        for page in ["layout", "catalogue", "service", "week", "404", "cancel", "hold", "summary", "confirmed", "cancelled", "error", "operator-login", "operator-agenda", "account", "notice", "my-bookings", "receipt"] where !templates.has(page) {
            throw LoadError(description: "\(options.templatesPath): the template \"\(page).html\" is missing")
        }
        renderer = PageRenderer(catalogue: catalogue, templates: templates, translations: translations)
    }

    public func makePublisher() -> SitePublisher {
        SitePublisher(renderer: renderer, outputDirectory: options.outputPath, assetsDirectory: "\(options.templatesPath)/assets")
    }
}

extension LoadedSite {
    /// Opens the database, rebuilds every page (a crash may have left pages behind the database) and wires
    /// the endpoint. The one place `serve`, the benchmarks and the tests start an application from.
    ///
    /// `buildFirst: false` skips the rebuild (the report is empty): `serve` listens first and rebuilds in the
    /// background (`Application.rebuildInBackground`). `wrapSource` lets a test slow the publisher's reads.
    public func openApplication(clock: @escaping @Sendable () -> Int64 = currentInstant,
                                onPublished: (@Sendable (Set<PageID>) -> Void)? = nil, buildFirst: Bool = true,
                                wrapSource: (any OccupancySource) -> any OccupancySource = { $0 }) throws -> (Application, PublishReport) {
        let store = BookingStore(database: try openDatabase())
        let publisher = makePublisher()
        let source = wrapSource(StoreOccupancy(store: store, catalogue: catalogue))
        let report = buildFirst ? try publisher.publishAll(now: clock(), source: source) : PublishReport()
        let application = Application(site: self, store: store, publisher: publisher, source: source, clock: clock, onPublished: onPublished)
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
