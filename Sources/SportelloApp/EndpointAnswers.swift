import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The HTML and JSON answers every controller gives: pages rendered with the site's templates (they carry
/// personal data, so they are answers to POSTs, marked `no-store`, never files in `output/`), JSON, refusals
/// in the visitor's language with the way on, notices and cookies. Counts refusals for the metrics.
final class EndpointAnswers: Sendable {
    let site: LoadedSite
    let metrics: Metrics
    /// The nearest free slots a refusal about a slot offers.
    let alternatives: AlternativeSlots
    let clock: @Sendable () -> Int64
    /// The pages POSTs answered, shown again by `GET /api/page` (redirect-after-POST; see `PageSnapshots`).
    let pages: PageSnapshots
    /// One log line per request and refusal (`serve` turns it on; tests and benchmarks leave it off).
    let accessLogging = Atomic<Bool>(false)

    init(site: LoadedSite, metrics: Metrics, alternatives: AlternativeSlots, clock: @escaping @Sendable () -> Int64) {
        self.site = site
        self.metrics = metrics
        self.alternatives = alternatives
        self.clock = clock
        pages = PageSnapshots(clock: clock)
    }

    var configuration: SiteConfiguration { site.configuration }
    var layout: SiteLayout { site.renderer.layout }

    func page(
        _ template: String, status: Int, title: String, context: RequestContext, values: TemplateFields,
        pageID: PageID = .catalogue
    ) -> HTTPResponse {
        var buffer: [UInt8] = []
        do {
            try site.renderer.page(
                template, title: title, language: context.language, pageID: pageID, context: values,
                breadcrumb: [
                    (
                        site.renderer.texts(context.language).text("nav.home"),
                        layout.url(.catalogue, language: context.language)
                    ),
                    (title, nil),
                ], into: &buffer)
        } catch {
            Log.error("template_failed", ["template": .text(template), "error": .text("\(error)")])
            return HTTPResponse(
                status: 500, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array("Internal error".utf8))
        }
        return HTTPResponse(
            status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            body: buffer)
    }

    func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")],
            body: JSONWriter.bytes(object))
    }

    func whenText(_ slot: Slot, _ t: Translations) -> String { site.renderer.whenText(slot, t) }

    func holdJSON(_ hold: Hold, slot: Slot) -> [String: Any] {
        [
            "token": hold.token, "service": hold.slot.serviceID, "start": hold.slot.start, "end": slot.endInstant,
            "expiresAt": hold.expiresAt,
        ]
    }

    func bookingJSON(_ booking: Booking) -> [String: Any] {
        var object: [String: Any] = [
            "code": booking.code, "service": booking.slot.serviceID, "start": booking.slot.start,
            "end": booking.slotEnd, "state": booking.state.rawValue,
        ]
        // A desk service's booking says its desk ("Sportello 2"), as the agenda does.
        if let desk = booking.deskName { object["desk"] = desk }
        return object
    }

    /// A clear answer for every failure: what happened and the way on (the refreshed week, the nearest
    /// free slots as ready-to-press buttons).
    func failure(
        _ error: EndpointError, _ context: RequestContext, service: Service? = nil, near slot: Slot? = nil,
        fieldErrors: [String: String] = [:], messageArguments: KeyValuePairs<String, String> = [:],
        extra: (json: [String: Any], page: TemplateFields)? = nil
    ) -> HTTPResponse {
        metrics.countRefusal(error.rawValue)
        if accessLogging.load(ordering: .relaxed), error != .badOrigin {
            Log.info(
                "refused",
                [
                    "reason": .text(error.rawValue), "status": .int(Int64(error.status)),
                    "client": .text(Log.anonymizedAddress(context.clientAddress)),
                ])
        }
        let t = site.renderer.texts(context.language)
        let message = t.format("errors.\(error.rawValue).message", messageArguments)
        if context.wantsJSON {
            var body: [String: Any] = ["error": error.rawValue, "message": message]
            body.merge(extra?.json ?? [:]) { _, new in new }
            if !fieldErrors.isEmpty { body["fields"] = fieldErrors }
            // The same way on as the page offers: the nearest free slots, ready to be held.
            if let service, offersAlternatives(error) {
                body["service"] = service.id
                if let slot { body["slot"] = slot.startInstant }
                body["alternatives"] = alternatives.nearestFreeSlots(service: service, from: slot, limit: 5).map {
                    free -> [String: Any] in
                    ["service": service.id, "slot": free.startInstant, "text": whenText(free, t)]
                }
            }
            return json(error.status, body)
        }
        var values: TemplateFields = [
            "message": .string(message), "next": .string(t.text("errors.\(error.rawValue).next")),
            "code": .string(error.rawValue),
            "alternatives": .list([]), "weekURL": "",
        ]
        // Where to sign in, when that is the way on.
        switch error {
        case .signInRequired, .wrongCredentials, .accountLocked:
            values["signInURL"] = .string(layout.url(.account, language: context.language))
            values["signInText"] = .string(t.text("account.title"))
        case .unauthorized:
            values["signInURL"] = .string(layout.url(.operatorLogin, language: context.language))
            values["signInText"] = .string(t.text("operator.loginTitle"))
        default:
            break
        }
        if let service {
            let monday = (slot?.date ?? RomeTime.local(clock()).date).mondayOfWeek
            values["weekURL"] = .string(layout.url(.week(service.id, monday: monday), language: context.language))
            values["service"] = .object(site.renderer.serviceValue(service, language: context.language))
            values["alternatives"] = .list(
                alternatives.nearestFreeSlots(service: service, from: slot, limit: 5).map { free in
                    .object([
                        "slot": .string(String(free.startInstant)), "text": .string(whenText(free, t)),
                        "serviceID": .string(service.id),
                    ])
                })
            values["holdAction"] = .string(layout.api(.holds))
        }
        for (name, value) in extra?.page ?? [:] { values[name] = value }
        return page(
            "error", status: error.status, title: t.text("errors.\(error.rawValue).title"), context: context,
            values: values)
    }

    /// The first free slots from the requested one on (or from now), over the next two weeks.
    /// Failures about the chosen slot, where another slot is the way on.
    private func offersAlternatives(_ error: EndpointError) -> Bool {
        switch error {
        case .slotFull, .slotPast, .slotNotYetBookable, .unknownSlot, .slotOutOfWindow, .holdExpired, .holdReleased:
            true
        default: false
        }
    }

    /// Answers for errors the HTTP server detects itself (413, 431, …), in the site's main language.
    func errorResponse(status: Int) -> HTTPResponse {
        let t = site.renderer.texts(configuration.comune.language)
        let key =
            [
                400: "badRequest", 408: "timeout", 411: "lengthRequired", 413: "tooLarge", 414: "uriTooLong",
                431: "headersTooLarge",
                429: "tooManyConnections", 503: "busy",
            ][status] ?? "badRequest"
        let context = RequestContext(language: configuration.comune.language)
        var response = page(
            "error", status: status, title: t.text("httpErrors.\(key).title"), context: context,
            values: [
                "message": .string(t.text("httpErrors.\(key).message")), "next": "", "code": .string(key),
                "alternatives": .list([]), "weekURL": "",
            ])
        response.headers.append(("Connection", "close"))
        return SecurityHeaders.added(to: response)
    }
    /// Every cookie Sportello sets: never readable by scripts, Secure on an https site, and sent back only to
    /// the endpoint (`path`); `sameSite` Strict unless a cross-site arrival must keep it.
    func cookie(_ name: String, value: String, path: String, maxAge: Int64, sameSite: String = "Strict") -> String {
        let secure = configuration.comune.baseURL.hasPrefix("https:") ? "; Secure" : ""
        return "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)\(secure)"
    }

    /// A page that tells the outcome of a step and where to go next.
    func notice(
        _ key: String, status: Int = 200, context: RequestContext, arguments: KeyValuePairs<String, String> = [:]
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        if context.wantsJSON {
            return json(status, ["result": key, "message": t.format("notices.\(key).message", arguments)])
        }
        return page(
            "notice", status: status, title: t.text("notices.\(key).title"), context: context,
            values: [
                "message": .string(t.format("notices.\(key).message", arguments)),
                "next": .string(t.text("notices.\(key).next")),
                "accountURL": .string(layout.url(.account, language: context.language)),
            ], pageID: .account)
    }
}
