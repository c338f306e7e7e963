import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// The one process of `sportello serve`: static pages for GET/HEAD, the booking endpoint for POST under
/// `/api/`. Every write is one store transaction; the pages it touched are queued for re-rendering.
public final class Application: HTTPResponder, Sendable {
    /// A confirmation finishes a hold the server granted: admission control never turns it away (the hold would
    /// otherwise block its place until it expires).
    public func completesAdmittedWork(method: String, path: String) -> Bool { method == "POST" && path == "/api/bookings" }

    let site: LoadedSite
    let store: BookingStore
    let operators: OperatorStore
    let accounts: AccountStore
    /// Sign-in attempts per client address, on top of the per-account lock.
    let loginLimiter: RateLimiter
    /// Wrong booking code + codice fiscale pairs, per client address and per code (see `limitLookup`).
    let lookupLimiter: RateLimiter
    /// Delivers the outbox (mail, SMS); its worker wakes after every change that queues a message.
    let notifier: Notifier
    let notificationWorker: NotificationWorker
    let publisher: SitePublisher
    /// Occupancy as the public pages show it (bookings, holds and operator blocks).
    let source: any OccupancySource
    let queue: PublishQueue
    /// Copies the pages to the bucket of `publish.s3` after each publish batch; nil when not configured.
    let uploader: ObjectStorageUploader?
    let staticFiles: StaticFiles
    let clock: @Sendable () -> Int64
    let addressLimiter: RateLimiter?
    /// Challenges for clients past their budget, when `limits.proofOfWork` is set.
    let proofOfWork: ProofOfWork?
    let ticker: Ticker
    /// The nearest free slots offered with a refusal, per (service, slot); see `nearestFreeSlots`.
    let alternatives = AlternativesCache()
    /// Counters for the opt-in metrics address.
    public let metrics = Metrics()
    /// One log line per request (`serve` turns it on; tests and benchmarks driving the application leave it off).
    let accessLogging = Atomic<Bool>(false)

    public init(site: LoadedSite, store: BookingStore, publisher: SitePublisher, source: any OccupancySource,
                clock: @escaping @Sendable () -> Int64 = currentInstant,
                onPublished: (@Sendable (Set<PageID>) -> Void)? = nil) {
        let spool = ((site.options.databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("spool")
        notifier = Notifier(database: store.database, renderer: site.renderer, spool: spool)
        notificationWorker = NotificationWorker(notifier: notifier, clock: clock)
        self.site = site
        self.store = store
        operators = OperatorStore(database: store.database)
        accounts = AccountStore(database: store.database)
        loginLimiter = RateLimiter(capacity: 10, perMinute: 10)
        lookupLimiter = RateLimiter(capacity: 10, perMinute: 2)
        self.publisher = publisher
        self.source = source
        self.clock = clock
        let staticFiles = StaticFiles(root: site.options.outputPath)
        self.staticFiles = staticFiles
        let uploader = site.configuration.objectStorage.map {
            ObjectStorageUploader(settings: $0, outputDirectory: site.options.outputPath,
                                  stateFile: ((site.options.databasePath as NSString).deletingLastPathComponent as NSString)
                                      .appendingPathComponent("uploaded-pages.tsv"))
        }
        self.uploader = uploader
        queue = PublishQueue(publisher: publisher, source: source, clock: clock,
                             onPublished: { pages in onPublished?(pages); uploader?.filesChanged() },
                             onRebuilt: { staticFiles.invalidateCache(); uploader?.filesChanged() })
        let limit = site.configuration.booking.requestsPerMinutePerAddress
        addressLimiter = limit > 0 ? RateLimiter(capacity: max(10, limit / 2), perMinute: limit) : nil
        ticker = Ticker()
        proofOfWork = site.configuration.limits.proofOfWork.map { ProofOfWork(settings: $0) }
    }

    var configuration: SiteConfiguration { site.configuration }
    var layout: SiteLayout { site.renderer.layout }

    /// Starts the publisher thread and the clock that republishes time-driven changes.
    public func startBackgroundWork() {
        queue.start()
        uploader?.start()
        notificationWorker.start()
        purgeExpiredPersonalData()
        ticker.start(every: 15) { [self] in tick() }
    }

    /// Re-renders every page on a thread of its own (start-up): the publisher's locks keep the publish
    /// queue's passes from interleaving with it, and a page it renders reads the store as it is then.
    public func rebuildInBackground(then done: @escaping @Sendable (Result<PublishReport, any Error>) -> Void) {
        let (publisher, source, clock, staticFiles, health, uploader) = (publisher, source, clock, staticFiles, queue.health, uploader)
        health.setRebuilding(true)
        let thread = Thread {
            let result = Result { try publisher.publishAll(now: clock(), source: source) }
            staticFiles.invalidateCache()
            // A failed start-up build leaves every page as an earlier run wrote it: /api/health says so.
            let instant = Int64(Date().timeIntervalSince1970)
            switch result {
            case .success: health.succeeded(at: instant, part: PublisherHealth.fullBuild)
            case .failure(let error): health.failed(at: instant, error: "\(error)", part: PublisherHealth.fullBuild)
            }
            health.setRebuilding(false)
            uploader?.filesChanged()
            done(result)
        }
        thread.name = "start-up build"
        thread.start()
    }

    /// The retention job: at start-up and every midnight, personal data of bookings past the retention period is erased.
    func purgeExpiredPersonalData() {
        let now = clock()
        do {
            let report = try store.purge(before: now - Int64(configuration.privacy.retentionDays) * 86_400, now: now, actor: "retention")
            if report.bookingsErased > 0 { Log.info("retention_purge", ["bookings_erased": .int(Int64(report.bookingsErased))]) }
        } catch {
            Log.error("retention_purge_failed", ["error": .text("\(error)")])
        }
    }

    public func stopBackgroundWork() {
        ticker.stop()
        notificationWorker.stop()
        queue.stop()
        uploader?.stop()
    }

    // MARK: Time-driven publishing

    private let tickState = TickState()

    /// Every 15 s: holds that expired since the last tick free their slots; every minute the pages whose
    /// content depends on the time (slots becoming past, the window opening at midnight) are re-rendered.
    func tick() {
        let now = clock()
        let previous = tickState.swap(now)
        guard let previous else { return }
        var pages: Set<PageID> = []
        if let expired = try? store.slotsOfHoldsExpired(between: previous, and: now) {
            for slot in expired { pages.formUnion(SitePublisher.pages(touchedBy: slot.serviceID, slotStart: slot.start)) }
        }
        if RomeTime.local(previous).date != RomeTime.local(now).date {
            purgeExpiredPersonalData()
            queue.markEverything()
            return
        }
        pages.formUnion(pagesOfSlotsTurningPast(between: previous, and: now))
        queue.mark(pages)
    }

    /// The pages of the slots that stopped being bookable in (previous, now]: a slot turns past when its
    /// start is within the minimum notice, the one change time alone makes within a day. Only those services'
    /// pages are re-rendered, not two weeks of every service every minute (6,000 pages at 3,000 services).
    func pagesOfSlotsTurningPast(between previous: Int64, and now: Int64) -> Set<PageID> {
        var pages: Set<PageID> = []
        guard now > previous else { return pages }
        for service in site.catalogue.services {
            let notice = Int64(service.window.minimumNoticeMinutes) * 60
            let (from, to) = (previous + notice, now + notice)
            var day = RomeTime.local(from).date
            let last = RomeTime.local(to).date
            while day <= last {
                for slot in service.slots(on: day) where slot.startInstant > from && slot.startInstant <= to {
                    pages.formUnion(SitePublisher.pages(touchedBy: service.id, slotStart: slot.startInstant))
                }
                day = day.adding(days: 1)
            }
        }
        return pages
    }

    // MARK: Routing

    public func enableAccessLog(_ enabled: Bool = true) { accessLogging.store(enabled, ordering: .relaxed) }

    /// Answers, counts, and (when enabled) logs one line: method, path, status, duration, bytes and the
    /// client's network (never its full address). The path is logged without its query, which may carry codes.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = SecurityHeaders.added(to: route(request))
        let elapsed = DispatchTime.now().uptimeNanoseconds &- started
        let api = request.path.hasPrefix(layout.basePath + "/api")
        metrics.countRequest(api: api, status: response.status, nanoseconds: elapsed)
        if accessLogging.load(ordering: .relaxed) {
            Log.info("request", [
                "method": .text(request.method), "path": .text(String(request.path.prefix(200))), "status": .int(Int64(response.status)),
                "ms": .milliseconds(nanoseconds: elapsed), "bytes": .int(Int64(response.body.count)),
                "client": .text(Log.anonymizedAddress(clientAddress(of: request))),
            ])
        }
        return response
    }

    /// The citizen's address: the connection's, or the last hop of X-Forwarded-For when the connection comes
    /// from a trusted proxy.
    func clientAddress(of request: HTTPRequest) -> String {
        RequestContext.clientAddress(of: request, configuration: configuration)
    }

    func route(_ request: HTTPRequest) -> HTTPResponse {
        let apiPrefix = layout.basePath + "/api/"
        guard request.path.hasPrefix(apiPrefix) || request.path == layout.basePath + "/api" else {
            return staticFiles.respond(to: strippingBasePath(request))
        }
        let isHealth = request.path == apiPrefix + "health"
        if isHealth, request.method == "GET" || request.method == "HEAD" { return health() }
        let context = RequestContext(request: request, configuration: configuration)
        // The other GETs: where the SPID/CIE gateway sends the citizen back, to their hold or to their bookings
        // (they only show).
        let resuming = request.method == "GET" && (request.path == apiPrefix + "holds/resume" || request.path == apiPrefix + "my-bookings")
        guard (request.method == "POST" || resuming), !isHealth else {
            var response = failure(.methodNotAllowed, context)
            response.headers.append(("Allow", isHealth ? "GET, HEAD" : "POST"))
            return response
        }
        if let limiter = addressLimiter, !limiter.allow(context.clientKey, now: Double(clock())) {
            var response = failure(.rateLimited, context)
            response.headers.append(("Retry-After", "60"))
            return response
        }
        if resuming { return request.path == apiPrefix + "my-bookings" ? resumeMyBookings(request, context) : resumeHold(request, context) }
        guard originIsAllowed(request) else {
            // The most common misconfiguration (site opened at another address than baseURL): say which.
            Log.warning("refused", ["reason": "bad_origin", "path": .text(String(request.path.prefix(200))),
                                    "origin": .text(String((request.headers["Origin"] ?? request.headers["Referer"] ?? "").prefix(200))),
                                    "expected": .text(configuration.comune.origin),
                                    "client": .text(Log.anonymizedAddress(context.clientAddress))])
            return failure(.badOrigin, context)
        }
        // Only a form is read as a form: a JSON or multipart body decoded as one would be answered as if its
        // fields were missing ("unknown service"), and text/plain is what a cross-site page can send unpreflighted.
        if let type = request.headers["Content-Type"],
           type.split(separator: ";", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces).lowercased() != "application/x-www-form-urlencoded" {
            return failure(.badForm, context)
        }
        let fields: FormFields
        do {
            fields = try FormDecoder.decode(request.body)
        } catch {
            return failure(.badForm, context)
        }
        var formContext = context
        if let language = fields["lang"], configuration.comune.languages.contains(language) { formContext.language = language }
        formContext.citizen = identify(request)
        takeOverLocalAccount(of: formContext.citizen, formContext)
        formContext.chosenBeneficiary = request.cookies[Self.beneficiaryCookie]
        formContext.visitor = Self.visitor(request)
        if let honeypot = fields["website"], !honeypot.isEmpty { return failure(.badForm, formContext) }
        switch String(request.path.dropFirst(apiPrefix.count)) {
        case "holds": return placeHold(fields, formContext)
        case "holds/release": return releaseHold(fields, formContext)
        case "review": return review(fields, formContext)
        case "bookings": return confirm(fields, formContext)
        case "cancellations": return cancel(fields, formContext)
        case "holds/for": return chooseBeneficiary(fields, formContext)
        case "beneficiary": return chooseBeneficiaryFirst(fields, formContext)
        case "accounts": return register(fields, formContext)
        case "login": return login(fields, formContext)
        case "logout": return logout(request, formContext)
        case "credentials": return resetCredentials(fields, formContext)
        case "my-bookings": return myBookings(fields, formContext)
        case "my-bookings/cancel": return cancelMine(fields, formContext)
        case "receipts": return receipt(fields, formContext)
        case let action where action.hasPrefix("operator/"): return operatorRoute(String(action.dropFirst(9)), request, fields, formContext)
        default: return failure(.notFound, formContext)
        }
    }

    private func strippingBasePath(_ request: HTTPRequest) -> HTTPRequest {
        guard !layout.basePath.isEmpty, request.path.hasPrefix(layout.basePath) else { return request }
        var path = String(request.path.dropFirst(layout.basePath.count))
        if path.isEmpty { path = "/" }
        return HTTPRequest(method: request.method, target: path, path: path, query: request.query, headers: request.headers,
                           body: request.body, remoteAddress: request.remoteAddress)
    }

    /// State-changing POSTs must come from the site's own pages (or from an API client that sends no
    /// Origin and no Referer, such as curl or a server-side integration).
    func originIsAllowed(_ request: HTTPRequest) -> Bool {
        let expected = configuration.comune.origin
        if let origin = request.headers["Origin"] {
            return origin == expected || ComuneSettings.normalizedOrigin(origin) == expected
        }
        if let referer = request.headers["Referer"] {
            if referer == expected || referer.hasPrefix(expected + "/") { return true }
            // The Referer's own origin, compared in normal form (case, default port).
            guard let components = URLComponents(string: referer), let scheme = components.scheme, let host = components.host else { return false }
            return ComuneSettings.normalizedOrigin("\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")") == expected
        }
        return true
    }
}

/// What the endpoint knows about a request before reading its form.
struct RequestContext {
    var language: String
    let wantsJSON: Bool
    let clientAddress: String
    /// Who is signed in (an account's session, or a certified identity from the proxy), if anyone.
    var citizen: Citizen?
    /// The beneficiary chosen on the service page before a slot ("Prenota per un'altra persona"), if any.
    var chosenBeneficiary: String?
    /// The anonymous browser session cookie, when the browser sent one (see `ClientLimits`).
    var visitor: String?
    /// What per-address limits count under: an IPv6 client by its /64, which it can rotate addresses inside.
    var clientKey: String { ClientKey.of(clientAddress) }

    init(request: HTTPRequest, configuration: SiteConfiguration) {
        wantsJSON = (request.headers["Accept"] ?? "").contains("application/json")
        clientAddress = Self.clientAddress(of: request, configuration: configuration)
        let languages = configuration.comune.languages
        let accept = (request.headers["Accept-Language"] ?? "").lowercased()
        language = languages.first { accept.hasPrefix($0) } ?? configuration.comune.language
    }

    static func clientAddress(of request: HTTPRequest, configuration: SiteConfiguration) -> String {
        let address = request.remoteAddress
        if configuration.booking.isTrustedProxy(address),
           let forwarded = request.headers["X-Forwarded-For"]?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
           !forwarded.isEmpty {
            return forwarded
        }
        return address
    }
}

/// The notification thread of `serve`: delivers the outbox when woken (after a change queued messages)
/// and every 30 seconds (retries, reminders).
final class NotificationWorker: Sendable {
    private let notifier: Notifier
    private let clock: @Sendable () -> Int64
    private let stopped = Mutex(false)
    private let started = Mutex(false)
    private let signal = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init(notifier: Notifier, clock: @escaping @Sendable () -> Int64) {
        self.notifier = notifier
        self.clock = clock
    }

    func start() {
        started.withLock { $0 = true }
        let thread = Thread { [self] in
            let batch = 500
            while !stopped.withLock({ $0 }) {
                // Every confirmation wakes the worker: the wakes that piled up during the last pass are all
                // answered by this one (a wake after this point still starts another).
                while signal.wait(timeout: .now()) == .success {}
                let report = notifier.deliverDue(clock: clock, limit: batch, keepGoing: { [self] in !stopped.withLock { $0 } })
                // A full batch means a backlog (after a restart, or a rush): go on at once instead of waiting
                // for the next change or the 30-second tick.
                if report.delivered + report.failed >= batch { continue }
                _ = signal.wait(timeout: .now() + 30)
            }
            done.signal()
        }
        thread.name = "notifications"
        thread.start()
    }

    func wake() { signal.signal() }

    /// Wakes the worker `seconds` from now, off the caller's thread.
    func wake(after seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in signal.signal() }
    }

    /// Stops promptly: the pass in progress takes no further message and stops waiting for a running
    /// sendmail (left to finish; the next start settles its message from the spool).
    func stop() {
        stopped.withLock { $0 = true }
        signal.signal()
        if started.withLock({ $0 }) { done.wait() }
    }
}

/// Holds the last tick's instant.
final class TickState: Sendable {
    private let last = Mutex<Int64?>(nil)
    func swap(_ now: Int64) -> Int64? { last.withLock { previous in defer { previous = now }; return previous } }
}

/// A repeating timer on its own thread.
final class Ticker: Sendable {
    private let stopped = Mutex(false)
    private let wake = DispatchSemaphore(value: 0)

    func start(every seconds: Double, _ action: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while !stopped.withLock({ $0 }) {
                action()
                _ = wake.wait(timeout: .now() + seconds)
            }
        }
        thread.name = "ticker"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        wake.signal()
    }
}

import Synchronization
