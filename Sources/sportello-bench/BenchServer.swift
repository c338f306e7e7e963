import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

/// `sportello serve` inside the benchmark: the site built into a temporary folder, the application and its
/// HTTP server on a free loopback port, the trusted proxy (loopback) uncapped as in production.
final class BenchServer {
    let site: LoadedSite
    let application: Application
    let server: HTTPServer
    /// The run's temporary folder: the pages in output/, the database in var/.
    let folder: String
    private let temporary: TemporaryFolder

    init(configuration: SiteConfiguration, name: String, workers: Int? = nil, templates: String) throws {
        temporary = try benchFolder("sportello-\(name)-\(getpid())")
        folder = temporary.path
        var options = Options()
        options.templatesPath = templates
        options.outputPath = "\(folder)/output"
        // As installed: the database in a private var/ (0700), the pages where nginx's user can read them.
        options.databasePath = "\(folder)/var/db.sqlite"
        let application: Application
        do {
            site = try LoadedSite(configuration: configuration, options: options)
            (application, _) = try site.openApplication()
        } catch {
            finish(temporary)
            throw error
        }
        self.application = application
        application.startBackgroundWork()
        var limits = HTTPLimits.standard
        if let workers { limits.workers = workers }
        server = HTTPServer(
            port: 0, limits: limits, responder: application, uncappedAddresses: configuration.booking.trustedProxies,
            errorPage: { application.errorResponse(status: $0) })
        do {
            try server.start()
        } catch {
            application.stopBackgroundWork()
            finish(temporary)
            throw error
        }
    }

    func stop() {
        server.stop()
        application.stopBackgroundWork()
        finish(temporary)
    }

    /// Every free place (one line per desk) of the coming `days`, at most `limit`, as "service slot" lines.
    func freePlaces(days: Int, limit: Int) -> [String] {
        let now = currentInstant()
        let today = RomeTime.local(now).date
        var lines: [String] = []
        for day in 0...days {
            for service in site.catalogue.services {
                for slot in service.slots(on: today.adding(days: day))
                where service.availability(of: slot, occupancy: .empty, now: now).state == .free {
                    for _ in 0..<service.capacity { lines.append("\(service.id) \(slot.startInstant)") }
                    if lines.count >= limit { return lines }
                }
            }
        }
        return lines
    }
}
