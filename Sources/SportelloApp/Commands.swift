import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The bodies of the `sportello` commands; `main.swift` only parses arguments and reports errors.
public enum Commands {
    /// Returns false when `--database` found stranded bookings (the exit status says so to scripts).
    @discardableResult
    public static func check(_ options: Options) throws -> Bool {
        let site = try LoadedSite(options: options)
        if let id = options.named["--explain"] {
            print(try explain(site: site, id: id))
            return true
        }
        let offices = site.catalogue.roots.count
        print(
            """
            \(options.configPath): ok – \(site.configuration.comune.name), \(offices) top-level entries, \
            \(site.catalogue.services.count) bookable services, languages \
            \(site.configuration.comune.languages.joined(separator: ", "))
            """
        )
        if options.flags.contains("--database") { return try checkDatabase(site: site, options: options) == 0 }
        return true
    }

    /// `sportello build`: migrates the database and renders every page into the output folder once. Returns the
    /// site it built, still in memory: the one-shot command ends the process with it (`BuiltSite.endProcess()`)
    /// rather than take apart what nobody reads again.
    @discardableResult
    public static func build(_ options: Options) throws -> BuiltSite {
        try refuseRootOnAnotherUsersFiles(options)
        // An existing database is upgraded and opened while the site loads: neither needs the other. A new one is
        // created only once the site has loaded, so a configuration that does not load leaves no database behind.
        let opening = DispatchGroup()
        let opened = Mutex<(upgraded: Result<Void, any Error>, database: Result<Database, any Error>)?>(nil)
        if FileManager.default.fileExists(atPath: options.databasePath) {
            DispatchQueue.global().async(group: opening) { [databasePath = options.databasePath] in
                let upgraded = Result { try upgradeDatabaseSaying(databasePath) }
                let database = Result { () throws -> Database in
                    try upgraded.get()
                    return try Database(path: databasePath)
                }
                opened.withLock { $0 = (upgraded, database) }
            }
        }
        let loading = Result { try LoadedSite(options: options, strictTemplates: true) }
        opening.wait()
        let existing = opened.withLock { $0 }
        // The errors in the order the steps ran in before they overlapped: the upgrade, the site, the database.
        try existing?.upgraded.get()
        let site = try loading.get()
        // The database is closed (its log checkpointed) when this returns; the site stays for the caller.
        let report = try publishAll(site: site, database: existing?.database.get() ?? openNew(options))
        return BuiltSite(site: site, report: report)
    }

    /// A database that did not exist when the build started: created, migrated and opened.
    private static func openNew(_ options: Options) throws -> Database {
        try upgradeDatabaseSaying(options.databasePath)
        return try Database(path: options.databasePath)
    }

    /// `build`'s publish, beside its check of stranded bookings.
    private static func publishAll(site: LoadedSite, database: Database) throws -> PublishReport {
        let options = site.options
        // The check reads every upcoming booking: it runs beside the publish (which leaves a core idle at its
        // start and end) and is waited for before the build says it is done. It holds the database only while it
        // runs, so the build's thread closes it once both are done (a pool thread could still be closing it when
        // the process ends).
        let checking = DispatchGroup()
        DispatchQueue.global().async(group: checking) { [weak database, databasePath = options.databasePath] in
            guard let database else { return }
            warnAboutStrandedBookings(site: site, databasePath: databasePath, database: database)
        }
        defer { checking.wait() }
        let publisher = site.makePublisher()
        let start = Date()
        let report: PublishReport
        do {
            report = try publisher.publishAll(
                now: currentInstant(),
                source: StoreOccupancy(store: BookingStore(database: database), catalogue: site.catalogue))
        } catch let error as TemplateError {
            let file = error.template.contains(".") ? error.template : error.template + ".html"
            throw LoadedSite.LoadError(
                description:
                    "\(options.templatesPath)/\(file):\(error.line):\(error.column): \(error.message) – the build "
                        + """
                        stopped: correct the name in the template (a misspelt name would otherwise be published as an \
                        empty text)
                        """
            )
        }
        checking.wait()
        let milliseconds = Int(Date().timeIntervalSince(start) * 1000)
        print(
            """
            built \(report.rendered) pages into \(options.outputPath)/ in \(milliseconds) ms (\(report.written) \
            written, \(report.removed) pages no longer produced removed)
            """
        )
        return report
    }

    /// Listens first, then rebuilds: the pages already in `output/` are served and the endpoint takes writes
    /// (their pages are queued as usual) while every page is re-rendered in the background, so a big comune
    /// answers within a second of starting instead of after its whole build. `built` is called when it ends.
    public static func startServing(
        _ site: LoadedSite, wrapSource: (any OccupancySource) -> any OccupancySource = { $0 },
        built: @escaping @Sendable (Result<PublishReport, any Error>) -> Void
    ) throws -> (HTTPServer, Application) {
        let (application, _) = try site.openApplication(buildFirst: false, wrapSource: wrapSource)
        // The reverse proxy's connections carry every citizen's requests: no per-address cap for it.
        let server = HTTPServer(
            host: site.options.host, port: site.options.port, responder: application,
            uncappedAddresses: site.configuration.booking.trustedProxies,
            errorPage: { status in application.errorResponse(status: status) })
        do { try server.start() } catch {
            throw ServeError(listening: error, host: site.options.host, port: site.options.port)
        }
        application.startBackgroundWork()
        application.rebuildInBackground(then: built)
        return (server, application)
    }

    /// `sportello serve`: takes the database lock, publishes, and answers requests until a signal stops it.
    public static func serve(_ options: Options) throws {
        try refuseRootOnAnotherUsersFiles(options)
        FileOwnership.warn(options)
        let site = try LoadedSite(options: options)
        // One serve per database: a second one would publish over the first one's pages and race its workers.
        let lock = try DatabaseLock.acquire(databasePath: options.databasePath)
        try upgradeDatabaseSaying(options.databasePath)
        warnAboutStrandedBookings(site: site, databasePath: options.databasePath)
        // Scripts (and the end-to-end suite) wait for the "built" line; the log writes each line at once. It
        // never comes before the "started" summary, however fast the rebuild ends (or fails).
        let summaryWritten = DispatchSemaphore(value: 0)
        let (server, application) = try startServing(site) { result in
            summaryWritten.wait()
            summaryWritten.signal()
            switch result {
            case .success(let report):
                Log.info(
                    "built",
                    [
                        "pages": .int(Int64(report.rendered)), "written": .int(Int64(report.written)),
                        "output": .text(options.outputPath),
                    ])
            case .failure(let error):
                Log.error("build_failed", ["error": .text("\(error)"), "result": "serving the pages already on disk"])
            }
        }
        var metricsServer: HTTPServer?
        if let address = options.named["--metrics"] {
            guard let (host, port) = parseListenAddress(address) else {
                throw Options.UsageError(
                    description: "--metrics: \"\(address)\" is not HOST:PORT (such as 127.0.0.1:9090)")
            }
            let metrics = HTTPServer(
                host: host, port: port, limits: .standard, responder: application.metricsResponder())
            do { try metrics.start() } catch { throw ServeError(listening: error, host: host, port: port) }
            metricsServer = metrics
        }
        application.enableAccessLog()
        let notifications = site.configuration.notifications
        Log.info(
            "started",
            [
                "version": .text(sportelloVersion), "config": .text(options.configPath),
                "comune": .text(site.configuration.comune.name),
                "services": .int(Int64(site.catalogue.services.count)),
                "languages": .text(site.configuration.comune.languages.joined(separator: ",")),
                "pages": .text(options.outputPath), "database": .text(options.databasePath),
                "mail": .text(notifications.email ? "on via \(notifications.sendmailPath)" : "off"),
                "sms": .text(notifications.sms ? "on" : "off"),
                "listening": .text(
                    "http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(server.port)/"),
                "baseURL": .text(site.configuration.comune.baseURL),
                "metrics": .text(metricsServer == nil ? "off" : "http://\(options.named["--metrics"] ?? "")/metrics"),
            ])
        summaryWritten.signal()

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        // SIGHUP (what `systemctl reload` sends) re-reads the configuration: a valid one restarts this process in
        // place with it (pages rebuilt, port reopened, nginx keeps serving the pages meanwhile); an invalid one is
        // logged and the running configuration stays.
        let reload = Atomic<Bool>(false)
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            do {
                _ = try LoadedSite(options: options)
                Log.info(
                    "reload",
                    ["config": .text(options.configPath), "result": "configuration valid; restarting with it"])
                reload.store(true, ordering: .relaxed)
                stop.signal()
            } catch {
                Log.error(
                    "reload_failed",
                    [
                        "config": .text(options.configPath), "error": .text("\(error)"),
                        "result": "still serving the previous configuration",
                    ])
            }
        }
        hangup.resume()
        sources.append(hangup)
        stop.wait()
        Log.info("stopping")
        server.stop()
        metricsServer?.stop()
        application.stopBackgroundWork()
        lock.release()
        if reload.load(ordering: .relaxed) { restartInPlace() }
        _ = sources
    }
}

/// Replaces this process with a fresh `sportello` with the same arguments and environment (SIGHUP reload).
private func restartInPlace() -> Never {
    let arguments = CommandLine.arguments
    let program =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? (arguments.first ?? "sportello")
    var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
    pointers.append(nil)
    execv(program, pointers)
    Log.error(
        "reload_failed",
        ["error": .text("cannot restart \(program): \(String(cString: strerror(errno)))"), "result": "stopped"])
    exit(1)
}
