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
    let folder: String

    init(configuration: SiteConfiguration, name: String, workers: Int? = nil, templates: String) throws {
        folder = NSTemporaryDirectory() + "sportello-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        var options = Options()
        options.templatesPath = templates
        options.outputPath = "\(folder)/output"
        // As installed: the database in a private var/ (0700), the pages where nginx's user can read them.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        options.databasePath = "\(folder)/var/db.sqlite"
        site = try LoadedSite(configuration: configuration, options: options)
        let (application, _) = try site.openApplication()
        self.application = application
        application.startBackgroundWork()
        var limits = HTTPLimits.standard
        if let workers { limits.workers = workers }
        server = HTTPServer(
            port: 0, limits: limits, responder: application, uncappedAddresses: configuration.booking.trustedProxies,
            errorPage: { application.errorResponse(status: $0) })
        try server.start()
    }

    func stop() {
        server.stop()
        application.stopBackgroundWork()
        try? FileManager.default.removeItem(atPath: folder)
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
