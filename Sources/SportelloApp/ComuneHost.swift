import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// Many comuni in one process (`sportello serve --comuni DIR`): one `Application` per subfolder of `DIR`, each
/// with its own `sportello.json`, `output/` and `var/sportello.sqlite` (and `site-templates/`, or the shared
/// `--templates`), chosen per request by the `Host` header against the host of each comune's `baseURL`. A comune
/// whose configuration or database fails is reported and skipped; the others start. `scan()` again (SIGHUP)
/// starts the comuni added since, stops those removed and leaves the rest running. Comuni share the event loop
/// and the workers; nothing else: their operators, accounts and bookings are in their own databases. Each comune
/// may occupy at most `workersPerComune` workers at once (`WorkerShare`): one comune's rush cannot starve the others.
public final class ComuneHost: HTTPResponder, Sendable {
    /// One comune being served.
    struct Hosted: Sendable {
        let folder: String
        let hostName: String
        let application: Application
        let lock: DatabaseLock
        let share: WorkerShare
        /// The answer past the share, rendered once: a rush is refused at the cost of a copy. The connection
        /// stays open (unlike the server's own 503s), so a refused client costs no new connection either.
        let busy: HTTPResponse
    }

    /// What a scan did, by folder name.
    public struct ScanReport: Sendable, Equatable {
        /// Folders whose comune now answers (new, or restarted after a change).
        public var started: [String] = []
        /// Folders whose comune was stopped (removed, renamed or replaced).
        public var stopped: [String] = []
        /// Folders skipped, with the reason (also logged as `comune_skipped`).
        public var skipped: [String: String] = [:]
        /// Everything served after the scan, by host name → folder name.
        public var serving: [String: String] = [:]
    }

    private let directory: String
    private let templatesPath: String
    /// The most workers one comune occupies at once.
    let workersPerComune: Int
    private let hosted = Mutex<[String: Hosted]>([:])
    /// One scan at a time (SIGHUP may arrive during one).
    private let scanning = Mutex(())
    /// Until the first scan ends, a host name not yet served may be a comune still starting: 503, not 404.
    private let started = Atomic<Bool>(false)

    /// The comuni of `directory`, each answering on at most `workersPerComune` workers at once (default: a quarter
    /// of the server's workers).
    public init(directory: String, templatesPath: String, workersPerComune: Int? = nil) {
        self.directory = directory
        self.templatesPath = templatesPath
        self.workersPerComune = max(1, workersPerComune ?? WorkerShare.standardLimit())
    }

    /// The options of the comune in `folder` (a subfolder of the directory).
    func options(for folder: String) -> Options {
        let base = "\(directory)/\(folder)"
        var options = Options()
        options.configPath = "\(base)/sportello.json"
        var isFolder: ObjCBool = false
        let ownTemplates =
            FileManager.default.fileExists(atPath: "\(base)/site-templates", isDirectory: &isFolder)
            && isFolder.boolValue
        options.templatesPath = ownTemplates ? "\(base)/site-templates" : templatesPath
        options.outputPath = "\(base)/output"
        options.databasePath = "\(base)/var/sportello.sqlite"
        return options
    }

    /// Brings the served comuni in line with the directory: starts new ones, stops removed ones.
    @discardableResult
    public func scan() -> ScanReport {
        let report = scanning.withLock { _ in scanOnce() }
        started.store(true, ordering: .releasing)
        return report
    }

    /// The trusted proxies the comuni of the directory configure, read from their configuration files alone (a
    /// broken one counts for nothing), so the server can listen before the comuni have opened their databases.
    public func configuredTrustedProxies() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let proxies = names.filter { !$0.hasPrefix(".") }.flatMap { name in
            (try? SiteConfiguration.load(path: "\(directory)/\(name)/sportello.json"))?.booking.trustedProxies ?? []
        }
        return Array(Set(proxies)).sorted()
    }

    private func scanOnce() -> ScanReport {
        var report = ScanReport()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { name in
            var isFolder: ObjCBool = false
            let configuration = "\(directory)/\(name)/sportello.json"
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: configuration, isDirectory: &isFolder)
                && !isFolder.boolValue
        }.sorted()
        let present = Set(names)
        let gone = hosted.withLock { hosted in
            let gone = hosted.values.filter { !present.contains($0.folder) }
            for comune in gone { hosted[comune.hostName] = nil }
            return gone
        }
        for comune in gone {
            comune.application.stopBackgroundWork()
            comune.lock.release()
            report.stopped.append(comune.folder)
            Log.info("comune_stopped", ["comune": .text(comune.folder), "host": .text(comune.hostName)])
        }
        let running = Set(hosted.withLock { $0.values.map(\.folder) })
        let newcomers = names.filter { !running.contains($0) }
        // Two at a time: most of a first start is creating databases, one durable commit after another, so a
        // second comune uses the time the first waits on the disk.
        for first in stride(from: 0, to: newcomers.count, by: Self.parallelStarts) {
            let batch = Array(newcomers[first..<min(first + Self.parallelStarts, newcomers.count)])
            let results = Mutex<[String: Result<Hosted, any Error>]>([:])
            DispatchQueue.concurrentPerform(iterations: batch.count) { index in
                let result = Result { try start(batch[index]) }
                results.withLock { $0[batch[index]] = result }
            }
            for name in batch {
                do {
                    let comune = try results.withLock { $0[name] }?.get()
                    guard let comune else { continue }
                    try claim(comune)
                    report.started.append(name)
                } catch {
                    report.skipped[name] = "\(error)"
                    Log.error(
                        "comune_skipped",
                        [
                            "comune": .text(name), "error": .text("\(error)"),
                            "result": "the other comuni are served; fix it, then reload (SIGHUP)",
                        ])
                }
            }
        }
        report.serving = hosted.withLock { $0.mapValues(\.folder) }
        return report
    }

    /// Comuni started at once by a scan.
    static let parallelStarts = 2

    /// Serves `comune` at its host name, unless a comune started beside it in the same batch took the name first
    /// (the folder first by name wins, as when they start one after another): then it is stopped again.
    private func claim(_ comune: Hosted) throws {
        let other = hosted.withLock { hosted -> String? in
            if let other = hosted[comune.hostName] { return other.folder }
            hosted[comune.hostName] = comune
            return nil
        }
        guard let other else { return }
        comune.application.stopBackgroundWork()
        comune.lock.release()
        throw LoadedSite.LoadError(description: "its host name \(comune.hostName) is already served by \(other)")
    }

    private func start(_ name: String) throws -> Hosted {
        let options = options(for: name)
        let site = try LoadedSite(options: options)
        guard let hostName = URLComponents(string: site.configuration.comune.baseURL)?.host?.lowercased() else {
            throw LoadedSite.LoadError(description: "comune.baseURL has no host name")
        }
        // Scans run one at a time; a comune of the same batch taking the name meanwhile is caught by `claim`.
        if let other = hosted.withLock({ $0[hostName]?.folder }) {
            throw LoadedSite.LoadError(description: "its host name \(hostName) is already served by \(other)")
        }
        try PrivateFiles.makeFolder((options.databasePath as NSString).deletingLastPathComponent)
        let lock = try DatabaseLock.acquire(databasePath: options.databasePath)
        do {
            try Commands.upgradeDatabaseSaying(options.databasePath)
            let (application, _) = try site.openApplication(buildFirst: false)
            application.startBackgroundWork()
            application.enableAccessLog()
            application.rebuildInBackground { result in
                switch result {
                case .success(let report):
                    Log.info(
                        "built",
                        [
                            "comune": .text(name), "pages": .int(Int64(report.rendered)),
                            "output": .text(options.outputPath),
                        ])
                case .failure(let error):
                    Log.error(
                        "build_failed",
                        [
                            "comune": .text(name), "error": .text("\(error)"),
                            "result": "serving the pages already on disk",
                        ])
                }
            }
            Log.info(
                "comune_started",
                [
                    "comune": .text(name), "host": .text(hostName),
                    "services": .int(Int64(site.catalogue.services.count)),
                ])
            var busy = application.errorResponse(status: 503)
            busy.headers.removeAll { $0.0.lowercased() == "connection" }
            busy.headers.append(("Retry-After", "1"))
            return Hosted(
                folder: name, hostName: hostName, application: application, lock: lock,
                share: WorkerShare(limit: workersPerComune), busy: busy)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Stops every comune (background work, locks).
    public func stopAll() {
        let all = hosted.withLock { hosted in
            defer { hosted = [:] }
            return Array(hosted.values)
        }
        for comune in all {
            comune.application.stopBackgroundWork()
            comune.lock.release()
        }
    }

    /// Hands the request to the comune its host name names, within that comune's share of the workers.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let comune = comune(for: request) else {
            guard started.load(ordering: .acquiring) else {
                var response = HTTPResponse.text(503, "The comuni are starting: try again in a few seconds.\n")
                response.headers.append(("Retry-After", "5"))
                return response
            }
            return .text(404, "No comune is served at this host name: check the address (or the comune's baseURL).\n")
        }
        let application = comune.application
        let mayExceed =
            application.completesAdmittedWork(method: request.method, path: request.path)
            || ((request.method == "GET" || request.method == "HEAD")
                && application.layout.route(ofPath: request.path) == .health)
        if let response = comune.share.answer(mayExceed: mayExceed, { application.respond(to: request) }) {
            return response
        }
        if comune.share.shouldWarn() {
            Log.warning(
                "comune_share_spent",
                [
                    "comune": .text(comune.folder), "workers": .int(Int64(comune.share.limit)),
                    "refused": .int(Int64(comune.share.refused)),
                    "result": "answered 503 with Retry-After: 1; the other comuni keep their workers",
                ])
        }
        return comune.busy
    }

    /// The routes are the same in every comune: a confirmation of a granted hold is never turned away.
    public func completesAdmittedWork(method: String, path: String) -> Bool {
        hosted.withLock { $0.values.first }?.application.completesAdmittedWork(method: method, path: path) ?? false
    }

    func application(for request: HTTPRequest) -> Application? { comune(for: request)?.application }

    /// The share of the comune a request is for (tests occupy it).
    func share(for request: HTTPRequest) -> WorkerShare? { comune(for: request)?.share }

    private func comune(for request: HTTPRequest) -> Hosted? {
        guard var host = request.headers["Host"]?.lowercased() else { return nil }
        // "name:port" or "[v6]:port": the port is not part of the name.
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        return hosted.withLock { $0[host] }
    }
}
