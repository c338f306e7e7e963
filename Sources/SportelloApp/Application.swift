import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore
import Synchronization

/// The one process of `sportello serve`: static pages for GET/HEAD, the booking endpoint for POST under
/// `/api/`. Every write is one store transaction; the pages it touched are queued for re-rendering.
public final class Application: HTTPResponder, EndpointController, Sendable {
    /// A confirmation finishes a hold the server granted: admission control never turns it away (the hold would
    /// otherwise block its place until it expires).
    public func completesAdmittedWork(method: String, path: String) -> Bool {
        method == "POST" && layout.route(ofPath: path)?.completesAdmittedWork == true
    }

    /// Static pages are read on the event loop (most from memory): no hand-over to a worker and back.
    public func answersOnEventLoop(_ request: HTTPRequest) -> Bool {
        (request.method == "GET" || request.method == "HEAD") && !request.path.hasPrefix(layout.basePath + "/api")
    }

    let site: LoadedSite
    let store: BookingStore
    let operators: OperatorStore
    let accounts: AccountStore
    /// Who is signed in on a request (the `identity` request step).
    let identities: CitizenIdentification
    /// The steps of a form (every POST) and of a GET the identity gateway sends back; see `steps(for:)`.
    let formSteps: [RequestStep]
    let gatewaySteps: [RequestStep]
    /// Delivers the outbox (mail, SMS); its worker wakes after every change that queues a message.
    let notifier: Notifier
    let notificationWorker: NotificationWorker
    /// Applies what each write changed, after its commit: pages to re-render, delivery to wake.
    let afterCommit: AfterCommit
    let publisher: SitePublisher
    /// Occupancy as the public pages show it (bookings, holds and operator blocks).
    let source: any OccupancySource
    let queue: PublishQueue
    /// Copies the pages to the bucket of `publish.s3` after each publish batch; nil when not configured.
    let uploader: ObjectStorageUploader?
    let staticFiles: StaticFiles
    let clock: @Sendable () -> Int64
    let addressLimiter: RateLimiter?
    /// The background work of `serve`, started in this order and stopped in reverse: the publisher's lanes,
    /// delivery, the clock of time-driven pages and retention.
    let background: ServiceGroup
    let ticker: Ticker
    /// Pages, JSON and refusals, for every controller (and the HTTP server's own error pages).
    let answers: EndpointAnswers
    /// The citizen's booking routes.
    let citizenBooking: BookingController
    /// The citizens' account routes.
    let citizenAccounts: AccountsController
    /// The office's routes.
    let operatorDesk: OperatorController
    /// `GET /api/health`.
    let healthCheck: HealthController
    /// Counters for the opt-in metrics address.
    public var metrics: Metrics { answers.metrics }
    /// The nearest free slots offered with a refusal, per (service, slot); see `AlternativeSlots`.
    var alternatives: AlternativesCache { answers.alternatives.alternatives }

    /// The endpoint of `site` over `store`: `publisher` and `source` re-render the pages a write touched.
    /// `clock` is injected so tests control time; `onPublished` lets tests wait for pages on disk.
    public init(
        site: LoadedSite, store: BookingStore, publisher: SitePublisher, source: any OccupancySource,
        clock: @escaping @Sendable () -> Int64 = currentInstant,
        onPublished: (@Sendable (Set<PageID>) -> Void)? = nil
    ) {
        let spool = ((site.options.databasePath as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("spool")
        notifier = Notifier(database: store.database, renderer: site.renderer, spool: spool)
        let metrics = Metrics()
        notificationWorker = NotificationWorker(notifier: notifier, clock: clock, metrics: metrics)
        self.site = site
        self.store = store
        operators = OperatorStore(database: store.database)
        accounts = AccountStore(database: store.database)
        identities = CitizenIdentification(configuration: site.configuration, accounts: accounts, clock: clock)
        // Sign-in attempts per client address, on top of the per-account lock (citizens and operator tokens).
        let loginLimiter = RateLimiter(capacity: 10, perMinute: 10)
        // Wrong booking code + codice fiscale pairs, per client address and per code (see `limitLookup`).
        let lookupLimiter = RateLimiter(capacity: 10, perMinute: 2)
        self.publisher = publisher
        self.source = source
        self.clock = clock
        let staticFiles = StaticFiles(root: site.options.outputPath)
        self.staticFiles = staticFiles
        let uploader = site.configuration.objectStorage.map {
            ObjectStorageUploader(
                settings: $0, outputDirectory: site.options.outputPath,
                stateFile: ((site.options.databasePath as NSString).deletingLastPathComponent as NSString)
                    .appendingPathComponent("uploaded-pages.tsv"))
        }
        self.uploader = uploader
        queue = PublishQueue(
            publisher: publisher, source: source, clock: clock,
            onPublished: { pages in
                onPublished?(pages)
                uploader?.filesChanged()
            },
            onRebuilt: {
                staticFiles.invalidateCache()
                uploader?.filesChanged()
            })
        afterCommit = AfterCommit(
            queue: queue, notificationWorker: notificationWorker, deskPartners: site.catalogue.deskPartners)
        let limit = site.configuration.booking.requestsPerMinutePerAddress
        addressLimiter = limit > 0 ? RateLimiter(capacity: max(10, limit / 2), perMinute: limit) : nil
        ticker = Ticker(name: "ticker", every: 15)
        var services: [any BackgroundService] = queue.lanes + [notificationWorker, ticker]
        if let uploader { services.append(uploader) }
        background = ServiceGroup(services)
        let admission: [RequestStep] = [.methodAllowed, .addressRate(addressLimiter, clock: clock)]
        let languages = site.configuration.comune.languages
        gatewaySteps = admission + [.queryDecoded, .language(languages), .identity(identities)]
        formSteps =
            admission + [
                .sameOrigin(site.configuration.comune.origin), .formContentType, .formDecoded,
                .language(languages), .identity(identities), .browserCookies, .honeypot,
            ]
        // Challenges for clients past their budget, when `limits.proofOfWork` is set.
        let proofOfWork = site.configuration.limits.proofOfWork.map { ProofOfWork(settings: $0) }
        answers = EndpointAnswers(
            site: site, metrics: metrics,
            alternatives: AlternativeSlots(database: store.database, source: source, clock: clock), clock: clock)
        citizenBooking = BookingController(
            store: store, afterCommit: afterCommit, notifier: notifier,
            lookupLimiter: lookupLimiter, proofOfWork: proofOfWork, answers: answers, clock: clock)
        citizenAccounts = AccountsController(
            store: store, accounts: accounts, identities: identities, loginLimiter: loginLimiter,
            proofOfWork: proofOfWork, afterCommit: afterCommit, answers: answers, clock: clock)
        operatorDesk = OperatorController(
            store: store, operators: operators, loginLimiter: loginLimiter, afterCommit: afterCommit,
            answers: answers, clock: clock)
        healthCheck = HealthController(
            database: store.database, publishing: queue.health, uploader: uploader, answers: answers, clock: clock)
        ticker.onTick { [weak self] in self?.tick() }
    }

    /// How the alternatives offered with refusals were found since the start: full searches, and cached
    /// answers kept after a check against the slots they span (benches).
    public var alternativesFound: (searches: Int, revalidations: Int) { alternatives.counts }

    /// Answers for errors the HTTP server detects itself (413, 431, …), in the site's main language.
    public func errorResponse(status: Int) -> HTTPResponse { answers.errorResponse(status: status) }

    /// Starts the background work (see `background`), after the start-up retention purge.
    public func startBackgroundWork() {
        purgeExpiredPersonalData()
        background.start()
    }

    /// Re-renders every page on a thread of its own (start-up): the publisher's locks keep the publish
    /// queue's passes from interleaving with it, and a page it renders reads the store as it is then.
    public func rebuildInBackground(then done: @escaping @Sendable (Result<PublishReport, any Error>) -> Void) {
        let (publisher, source, clock, staticFiles, health, uploader) = (
            publisher, source, clock, staticFiles, queue.health, uploader
        )
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

    /// The retention job: at start-up and every midnight, personal data of bookings past the retention period is
    /// erased.
    func purgeExpiredPersonalData() {
        let now = clock()
        do {
            let report = try store.purge(
                before: now - Int64(configuration.privacy.retentionDays) * 86_400, now: now, actor: "retention")
            if report.bookingsErased > 0 {
                Log.info("retention_purge", ["bookings_erased": .int(Int64(report.bookingsErased))])
            }
        } catch {
            Log.error("retention_purge_failed", ["error": .text("\(error)")])
        }
    }

    /// Stops the background work; returns once none of its threads runs.
    public func stopBackgroundWork() { background.stop() }

    // MARK: Time-driven publishing

    private let tickState = TickState()

    /// Every 15 s: holds that expired since the last tick free their slots; every minute the pages whose
    /// content depends on the time (slots becoming past, the window opening at midnight) are re-rendered.
    func tick() {
        let now = clock()
        let previous = tickState.swap(now)
        guard let previous else { return }
        do {
            afterCommit.apply(StoreChange(slots: Set(try store.slotsOfHoldsExpired(between: previous, and: now))))
        } catch {
            // Those pages still show the expired holds until the next full rebuild: say why.
            Log.error("expired_holds_unread", ["error": .text("\(error)")])
        }
        expireUnansweredRequests(now: now)
        if RomeTime.local(previous).date != RomeTime.local(now).date {
            purgeExpiredPersonalData()
            queue.markEverything()
            return
        }
        queue.mark(pagesOfSlotsTurningPast(between: previous, and: now))
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

    /// Turns the one-line-per-request access log on or off: `serve` turns it on, in-process tests leave it off.
    public func enableAccessLog(_ enabled: Bool = true) { answers.accessLogging.store(enabled, ordering: .relaxed) }

    /// Answers, counts, and (when enabled) logs one line: method, path, status, duration, bytes and the
    /// client's network (never its full address). The path is logged without its query, which may carry codes.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        let started = DispatchTime.now().uptimeNanoseconds
        let response = SecurityHeaders.added(to: route(request))
        let elapsed = DispatchTime.now().uptimeNanoseconds &- started
        let api = request.path.hasPrefix(layout.basePath + "/api")
        metrics.countRequest(api: api, status: response.status, nanoseconds: elapsed)
        if answers.accessLogging.load(ordering: .relaxed) {
            Log.info(
                "request",
                [
                    "method": .text(request.method), "path": .text(String(request.path.prefix(200))),
                    "status": .int(Int64(response.status)),
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
        let apiRoot = layout.apiRoot
        guard request.path.hasPrefix(apiRoot + "/") || request.path == apiRoot else {
            // The old default icon address leads to the icon every page links (as deploy/sportello-site.conf does).
            if request.path == layout.basePath + "/favicon.ico" {
                return .redirect(layout.asset("favicon.svg"), status: 301)
            }
            return staticFiles.respond(to: strippingBasePath(request))
        }
        let route = layout.route(ofPath: request.path)
        if route == .health, request.method == "GET" || request.method == "HEAD" { return healthCheck.health() }
        var endpoint = EndpointRequest(
            http: request, route: route, context: RequestContext(request: request, configuration: configuration))
        if let refusal = RequestStep.run(steps(for: endpoint), on: &endpoint) {
            return answer(refusal, endpoint.context)
        }
        let response = dispatch(endpoint)
        return request.method == "POST" ? seeOther(response, for: endpoint) : response
    }

    /// The steps a request passes before its route runs: method and per-address rate for every one; then a GET
    /// the identity gateway sends back only reads its query and who signed in, while a form is checked in full.
    func steps(for request: EndpointRequest) -> [RequestStep] {
        request.http.method == "GET" ? gatewaySteps : formSteps
    }

    /// The answer to a refusal: the error in the visitor's language, with the refusal's headers.
    func answer(_ refusal: RequestRefusal, _ context: RequestContext) -> HTTPResponse {
        var response = failure(refusal.error, context)
        response.headers += refusal.headers
        return response
    }

    /// Runs the route a request that passed its steps names.
    func dispatch(_ request: EndpointRequest) -> HTTPResponse {
        let (fields, context) = (request.fields, request.context)
        guard let route = request.route else { return failure(.notFound, context) }
        // A GET is the identity gateway sending the citizen back: to the hold they left, or, signed in on the
        // sign-in page, to "Le mie prenotazioni" at once rather than the same static page with no sign of it.
        if request.http.method == "GET" {
            if route == .page { return shownPage(request) }
            // The office's views and the citizen's week also answer a GET with their query (a link, Back).
            if route.isOperator { return operatorDesk.operatorRoute(route, request.http, fields, context) }
            if route == .myBookingsWeek { return citizenAccounts.myBookingsWeek(fields, context) }
            return route == .myBookings
                ? citizenAccounts.myBookings(FormFields(), context) : citizenBooking.resumeHold(fields, context)
        }
        switch route {
        case .holds:
            var response = citizenBooking.placeHold(fields, context)
            // Accounts required and nobody signed in: the chosen slot waits for the sign-in (see `resumeChosenSlot`).
            if configuration.booking.requireAccount, context.citizen == nil, !context.wantsJSON,
                let remember = citizenBooking.chosenSlotCookie(fields)
            {
                response.headers.append(("Set-Cookie", remember))
            }
            return response
        case .releaseHold: return citizenBooking.releaseHold(fields, context)
        case .review: return citizenBooking.review(fields, context)
        case .bookings: return citizenBooking.confirm(fields, context)
        case .cancellations: return citizenBooking.cancel(fields, context)
        case .chooseBeneficiary: return citizenBooking.chooseBeneficiary(fields, context)
        case .beneficiary: return citizenBooking.chooseBeneficiaryFirst(fields, context)
        case .receipts: return citizenBooking.receipt(fields, context)
        case .accounts: return citizenAccounts.register(fields, context)
        case .login:
            return citizenAccounts.login(fields, context) { citizenBooking.resumeChosenSlot(request.http, $0) }
        case .logout: return citizenAccounts.logout(request.http, context)
        case .credentials: return citizenAccounts.resetCredentials(fields, context)
        case .myBookings: return citizenAccounts.myBookings(fields, context)
        case .cancelMine: return citizenAccounts.cancelMine(fields, context)
        case .myBookingsWeek: return citizenAccounts.myBookingsWeek(fields, context)
        case .moves: return citizenBooking.move(fields, context)
        case .moveMine: return citizenBooking.moveMine(fields, context)
        case .operatorLogin, .operatorAgenda, .operatorOutcome, .operatorCancel, .operatorBlocks, .operatorRemoveBlock,
            .operatorStats, .operatorLogout, .operatorGrid, .operatorStatistics, .operatorMove, .operatorApprove,
            .operatorRefuse, .operatorBook:
            return operatorDesk.operatorRoute(route, request.http, fields, context)
        case .resumeHold, .health, .page: return failure(.notFound, context)
        }
    }

    private func strippingBasePath(_ request: HTTPRequest) -> HTTPRequest {
        guard !layout.basePath.isEmpty, request.path.hasPrefix(layout.basePath) else { return request }
        var path = String(request.path.dropFirst(layout.basePath.count))
        if path.isEmpty { path = "/" }
        return HTTPRequest(
            method: request.method, target: path, path: path, query: request.query, headers: request.headers,
            body: request.body, remoteAddress: request.remoteAddress)
    }
}
