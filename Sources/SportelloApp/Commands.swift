import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The bodies of the `sportello` commands; `main.swift` only parses arguments and reports errors.
public enum Commands {
    public static func check(_ options: Options) throws {
        let site = try LoadedSite(options: options)
        let offices = site.catalogue.roots.count
        print("\(options.configPath): ok – \(site.configuration.comune.name), \(offices) top-level entries, \(site.catalogue.services.count) bookable services, languages \(site.configuration.comune.languages.joined(separator: ", "))")
    }

    public static func build(_ options: Options) throws {
        let site = try LoadedSite(options: options, strictTemplates: true)
        let database = try Database(path: options.databasePath)
        let publisher = site.makePublisher()
        let start = Date()
        let report: PublishReport
        do {
            report = try publisher.publishAll(now: currentInstant(), source: StoreOccupancy(store: BookingStore(database: database), catalogue: site.catalogue))
        } catch let error as TemplateError {
            let file = error.template.contains(".") ? error.template : error.template + ".html"
            throw LoadedSite.LoadError(description: "\(options.templatesPath)/\(file):\(error.line):\(error.column): \(error.message) – the build " +
                                       "stopped: correct the name in the template (a misspelt name would otherwise be published as an empty text)")
        }
        let milliseconds = Int(Date().timeIntervalSince(start) * 1000)
        print("built \(report.rendered) pages into \(options.outputPath)/ in \(milliseconds) ms (\(report.written) written, \(report.removed) old weeks removed)")
    }

    /// Listens first, then rebuilds: the pages already in `output/` are served and the endpoint takes writes
    /// (their pages are queued as usual) while every page is re-rendered in the background, so a big comune
    /// answers within a second of starting instead of after its whole build. `built` is called when it ends.
    public static func startServing(_ site: LoadedSite, wrapSource: (any OccupancySource) -> any OccupancySource = { $0 },
                                    built: @escaping @Sendable (Result<PublishReport, any Error>) -> Void) throws -> (HTTPServer, Application) {
        let (application, _) = try site.openApplication(buildFirst: false, wrapSource: wrapSource)
        // The reverse proxy's connections carry every citizen's requests: no per-address cap for it.
        let server = HTTPServer(host: site.options.host, port: site.options.port, responder: application,
                                uncappedAddresses: site.configuration.booking.trustedProxies,
                                errorPage: { status in application.errorResponse(status: status) })
        try server.start()
        application.startBackgroundWork()
        application.rebuildInBackground(then: built)
        return (server, application)
    }

    public static func serve(_ options: Options) throws {
        let site = try LoadedSite(options: options)
        let (server, application) = try startServing(site) { result in
            switch result {
            case .success(let report): print("built \(report.rendered) pages into \(options.outputPath)/ (\(report.written) written)")
            case .failure(let error): FileHandle.standardError.write(Data("sportello: the start-up build failed: \(error)\n".utf8))
            }
            // At once even into a log file: scripts wait for the "built" line.
            fflush(nil)
        }
        print("Sportello is serving \(site.configuration.comune.name) on http://\(options.host):\(server.port)/  (Ctrl-C to stop)")
        fflush(nil)

        let stop = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        stop.wait()
        print("stopping…")
        server.stop()
        application.stopBackgroundWork()
        _ = sources
    }
}

/// The store seen as the publisher's source of slot occupancy: bookings and holds counted per slot, and
/// operator blocks (time ranges) laid over the slots of the services they cover.
public struct StoreOccupancy: OccupancySource {
    public let store: BookingStore
    public let catalogue: Catalogue

    public init(store: BookingStore, catalogue: Catalogue) {
        self.store = store
        self.catalogue = catalogue
    }

    public func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]] {
        var result = try store.occupancy(serviceID: serviceID, from: from, to: to, now: now)
        for block in try store.blocks(serviceID: serviceID, from: from, to: to) {
            guard let service = catalogue.service(id: block.serviceID) else { continue }
            let start = max(block.startsAt, from)
            let end = min(block.endsAt, to)
            var day = RomeTime.local(start).date
            let lastDay = RomeTime.local(end).date
            while day <= lastDay {
                for slot in service.slots(on: day) where slot.startInstant >= start && slot.startInstant < end {
                    result[service.id, default: [:]][slot.startInstant, default: .empty].blocked += block.desks
                }
                day = day.adding(days: 1)
            }
        }
        return result
    }
}
