import Foundation
import Synchronization
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The HTML and JSON answers of the endpoint. Pages carry personal data, so they are answers to POSTs,
/// marked `no-store`, never files in `output/`.
extension Application {
    func page(_ template: String, status: Int, title: String, context: RequestContext, values: TemplateFields,
              pageID: PageID = .catalogue) -> HTTPResponse {
        var buffer: [UInt8] = []
        do {
            try site.renderer.page(template, title: title, language: context.language, pageID: pageID, context: values,
                                   breadcrumb: [(site.renderer.texts(context.language).text("nav.home"), layout.url(.catalogue, language: context.language)),
                                                (title, nil)], into: &buffer)
        } catch {
            Log.error("template_failed", ["template": .text(template), "error": .text("\(error)")])
            return HTTPResponse(status: 500, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("Internal error".utf8))
        }
        return HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], body: buffer)
    }

    func json(_ status: Int, _ object: [String: Any]) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")],
                     body: JSONWriter.bytes(object))
    }

    func whenText(_ slot: Slot, _ t: Translations) -> String { site.renderer.whenText(slot, t) }

    func holdJSON(_ hold: Hold, slot: Slot) -> [String: Any] {
        ["token": hold.token, "service": hold.slot.serviceID, "start": hold.slot.start, "end": slot.endInstant, "expiresAt": hold.expiresAt]
    }

    func bookingJSON(_ booking: Booking) -> [String: Any] {
        ["code": booking.code, "service": booking.slot.serviceID, "start": booking.slot.start, "end": booking.slotEnd, "state": booking.state.rawValue]
    }

    /// Values common to the form and the summary: the service, the slot, the hold and its countdown.
    private func holdValues(service: Service, slot: Slot, hold: Hold, context: RequestContext) -> TemplateFields {
        let t = site.renderer.texts(context.language)
        let expiry = RomeTime.local(hold.expiresAt)
        let minutes = max(0, Int((hold.expiresAt - clock() + 59) / 60))
        return [
            "service": .object(site.renderer.serviceValue(service, language: context.language)),
            "when": .string(whenText(slot, t)),
            "hold": .string(hold.token),
            "expiresAt": .string(String(hold.expiresAt)),
            "expiresText": .string(t.format("hold.expires", ["time": LocalTime(minutes: expiry.minutes)?.description ?? "", "minutes": String(minutes)])),
            "countdownTemplate": .string(t.text("hold.countdownLive")),
            "releaseAction": .string(layout.api("holds/release")),
            "reviewAction": .string(layout.api("review")),
            "confirmAction": .string(layout.api("bookings")),
            "weekURL": .string(layout.url(.week(service.id, monday: slot.date.mondayOfWeek), language: context.language)),
        ]
    }

    /// The i18n key (`form.<key>.label`) of each form field.
    static let fieldLabelKeys = ["nome": "given", "cognome": "family", "codice_fiscale": "codiceFiscale", "email": "email", "cellulare": "phone",
                                 "note": "notes"]

    func formPage(service: Service, slot: Slot, hold: Hold, values: [String: String], errors: [String: String], context: RequestContext,
                  status: Int) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        var page = holdValues(service: service, slot: slot, hold: hold, context: context)
        let beneficiary = values["beneficiary"] ?? ""
        // Fields the identity fixes are shown read-only; the server enforces them anyway (`lockedValues`).
        var locked: Set<String> = []
        if let citizen = context.citizen {
            locked = beneficiary.isEmpty ? ["nome", "cognome", "codice_fiscale"] : ["codice_fiscale"]
            page["citizen"] = .object(["name": .string(citizen.fullName), "codiceFiscale": .string(citizen.codiceFiscale)])
            page["whoText"] = .string(beneficiary.isEmpty
                ? t.format(citizen.certified ? "form.forSelfCertified" : "form.forSelf", ["name": citizen.fullName, "codiceFiscale": citizen.codiceFiscale])
                : t.format("form.forOther", ["codiceFiscale": beneficiary, "name": citizen.fullName]))
            page["forOther"] = .bool(!beneficiary.isEmpty)
            page["forWhomAction"] = .string(layout.api("holds/for"))
            page["beneficiaryError"] = .string(errors["beneficiary"].map { t.text("fieldErrors.\($0)") } ?? "")
        }
        page["beneficiary"] = .string(beneficiary)
        // Not signed in: SPID/CIE right on the form, coming back to this hold with the details filled in.
        if context.citizen == nil, let identity = configuration.identity,
           let buttons = identity.loginButtons(returnPath: layout.api("holds/resume") + "?hold=\(hold.token)&lang=\(context.language)",
                                               origin: configuration.comune.origin) {
            page["identityLogin"] = buttons
        }
        let lockedHint = t.text(context.citizen?.certified == true ? "form.lockedCertified" : "form.lockedAccount")
        var fieldList: [TemplateValue] = []
        for name in Self.personFields {
            let key = Self.fieldLabelKeys[name] ?? name
            var field: TemplateFields = [
                "name": .string(name), "label": .string(t.text("form.\(key).label")), "hint": .string(t.has("form.\(key).hint") ? t.text("form.\(key).hint") : ""),
                "value": .string(values[name] ?? ""), "error": "", "required": true, "textarea": false,
                "type": .string(name == "email" ? "email" : name == "cellulare" ? "tel" : "text"),
                "autocomplete": .string(["nome": "given-name", "cognome": "family-name", "email": "email", "cellulare": "tel"][name] ?? "off"),
            ]
            if name == "note" {
                let text = service.text(for: context.language)
                field["label"] = .string(text.reasonLabel ?? t.text("form.notes.label"))
                field["required"] = .bool(service.reasonRequired)
                field["textarea"] = true
            }
            if let code = errors[name] { field["error"] = .string(t.text("fieldErrors.\(code)")) }
            field["readonly"] = .bool(locked.contains(name))
            if locked.contains(name) { field["hint"] = .string(beneficiary.isEmpty ? lockedHint : t.text("form.lockedBeneficiary")) }
            if !beneficiary.isEmpty && (name == "email" || name == "cellulare") { field["hint"] = .string(t.text("form.contactsForOther")) }
            fieldList.append(.object(field))
        }
        page["fields"] = .list(fieldList)
        page["errors"] = .list((Self.personFields + ["beneficiary"]).compactMap { name in
            errors[name].map { code in .object(["name": .string(name), "text": .string(t.text("fieldErrors.\(code)"))]) }
        })
        page["hasErrors"] = .bool(!errors.isEmpty)
        page["steps"] = site.renderer.steps(current: 3, language: context.language)
        return self.page("hold", status: status, title: t.text("hold.title"), context: context, values: page)
    }

    /// `verification`: where the contact must prove itself, what was sent where (the page then asks for the
    /// code and offers a new one); `verificationError`: the code typed was wrong.
    func summaryPage(service: Service, slot: Slot, hold: Hold, values: [String: String], context: RequestContext,
                     verification: String? = nil, verificationError: String? = nil) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        var page = holdValues(service: service, slot: slot, hold: hold, context: context)
        if let verification {
            page["verification"] = .object(["message": .string(verification), "error": .string(verificationError ?? "")])
        }
        page["items"] = .list(Self.personFields.compactMap { name in
            let value = values[name] ?? ""
            if name == "note" && value.isEmpty { return nil }
            let label = name == "note" ? (service.text(for: context.language).reasonLabel ?? t.text("form.notes.label")) : t.text("form.\(Self.fieldLabelKeys[name] ?? name).label")
            return .object(["label": .string(label), "value": .string(value)])
        })
        page["hidden"] = .list((Self.personFields + ["beneficiary"]).map { .object(["name": .string($0), "value": .string(values[$0] ?? "")]) })
        if let citizen = context.citizen, let beneficiary = values["beneficiary"], !beneficiary.isEmpty {
            page["forOtherText"] = .string(t.format("form.forOther", ["codiceFiscale": beneficiary, "name": citizen.fullName]))
        }
        page["steps"] = site.renderer.steps(current: 4, language: context.language)
        return self.page("summary", status: 200, title: t.text("summary.title"), context: context, values: page)
    }

    func confirmationPage(booking: Booking, service: Service, slot: Slot, context: RequestContext) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let text = service.text(for: context.language)
        let event = CalendarEvent(uid: "\(booking.code)@\(URL(string: configuration.comune.baseURL)?.host ?? "sportello")", start: slot.startInstant,
                                  end: slot.endInstant, stamp: booking.createdAt, summary: "\(text.name) – \(configuration.comune.name)",
                                  location: service.address, description: t.format("confirmed.calendarDescription", ["code": booking.code]))
        let ics = event.ics
        let icsHref = "data:text/calendar;charset=utf-8," + (ics.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        func query(_ pairs: [(String, String)]) -> String {
            pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        let google = "https://calendar.google.com/calendar/render?" + query([
            ("action", "TEMPLATE"), ("text", event.summary), ("dates", "\(CalendarEvent.utc(slot.startInstant))/\(CalendarEvent.utc(slot.endInstant))"),
            ("location", service.address ?? ""), ("details", event.description ?? ""),
        ])
        func iso(_ instant: Int64) -> String { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(instant))) }
        let outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + query([
            ("path", "/calendar/action/compose"), ("rru", "addevent"), ("subject", event.summary), ("startdt", iso(slot.startInstant)),
            ("enddt", iso(slot.endInstant)), ("location", service.address ?? ""), ("body", event.description ?? ""),
        ])
        var values: TemplateFields = [
            "service": .object(site.renderer.serviceValue(service, language: context.language)),
            "when": .string(whenText(slot, t)),
            "code": .string(booking.code),
            "person": .object(["name": .string("\(booking.person.givenName) \(booking.person.familyName)"),
                               "codiceFiscale": .string(booking.person.codiceFiscale), "email": .string(booking.person.email),
                               "phone": .string(booking.person.phone), "notes": .string(booking.person.notes ?? "")]),
            "icsHref": .string(icsHref), "icsName": .string("appuntamento-\(booking.code).ics"),
            "googleURL": .string(google), "outlookURL": .string(outlook),
            "cancelURL": .string("\(layout.url(.catalogue, language: context.language))annulla/"),
            "comune": .string(configuration.comune.name),
        ]
        values["steps"] = site.renderer.steps(current: 5, language: context.language)
        return page("confirmed", status: 201, title: t.text("confirmed.title"), context: context, values: values)
    }

    /// A clear answer for every failure: what happened and the way on (the refreshed week, the nearest
    /// free slots as ready-to-press buttons).
    func failure(_ error: EndpointError, _ context: RequestContext, service: Service? = nil, near slot: Slot? = nil,
                 fieldErrors: [String: String] = [:], messageArguments: KeyValuePairs<String, String> = [:],
                 extra: (json: [String: Any], page: TemplateFields)? = nil) -> HTTPResponse {
        metrics.countRefusal(error.rawValue)
        if accessLogging.load(ordering: .relaxed), error != .badOrigin {
            Log.info("refused", ["reason": .text(error.rawValue), "status": .int(Int64(error.status)),
                                 "client": .text(Log.anonymizedAddress(context.clientAddress))])
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
                body["alternatives"] = nearestFreeSlots(service: service, from: slot, limit: 5).map { free -> [String: Any] in
                    ["service": service.id, "slot": free.startInstant, "text": whenText(free, t)]
                }
            }
            return json(error.status, body)
        }
        var values: TemplateFields = [
            "message": .string(message), "next": .string(t.text("errors.\(error.rawValue).next")), "code": .string(error.rawValue),
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
            values["alternatives"] = .list(nearestFreeSlots(service: service, from: slot, limit: 5).map { free in
                .object(["slot": .string(String(free.startInstant)), "text": .string(whenText(free, t)), "serviceID": .string(service.id)])
            })
            values["holdAction"] = .string(layout.api("holds"))
        }
        for (name, value) in extra?.page ?? [:] { values[name] = value }
        return page("error", status: error.status, title: t.text("errors.\(error.rawValue).title"), context: context, values: values)
    }

    /// The first free slots from the requested one on (or from now), over the next two weeks.
    /// Failures about the chosen slot, where another slot is the way on.
    private func offersAlternatives(_ error: EndpointError) -> Bool {
        switch error {
        case .slotFull, .slotPast, .slotNotYetBookable, .unknownSlot, .slotOutOfWindow, .holdExpired, .holdReleased: true
        default: false
        }
    }

    /// During a rush thousands of refused citizens ask for alternatives in the same second while nothing
    /// changes; the answer is reused until the next committed write or the next second. Keys are slots the
    /// service really has inside its requestable range (`placeHold` refuses any other instant before
    /// this), and every slot after the last bookable day shares one key, so the cache stays small.
    func nearestFreeSlots(service: Service, from slot: Slot?, limit: Int) -> [Slot] {
        let now = clock()
        let lastDay = service.lastBookableDay(today: RomeTime.local(now).date)
        let key = AlternativesCache.Key(serviceID: service.id, slotStart: slot.map { $0.date > lastDay ? Int64.max : $0.startInstant }, limit: limit)
        let writes = store.database.committedWrites
        switch alternatives.lookup(key, writes: writes, now: now) {
        case .current(let cached):
            return cached
        case .overtaken(let cached):
            // Writes came since (a rush commits many times a second), or the clock moved on (a hold may have run
            // out): check the answer against a snapshot of the few slots it spans instead of searching two
            // weeks again.
            if let still = revalidate(cached, service: service, from: slot, limit: limit, now: now) {
                alternatives.store(still, for: key, writes: writes, now: now, revalidated: true)
                return still
            }
        case nil:
            break
        }
        let found = searchFreeSlots(service: service, from: slot, limit: limit, now: now)
        alternatives.store(found, for: key, writes: writes, now: now, revalidated: false)
        return found
    }

    /// How the alternatives offered with refusals were found since the start: full searches, and cached
    /// answers kept after a check against the slots they span (benches).
    public var alternativesFound: (searches: Int, revalidations: Int) { alternatives.counts }

    /// The same answer as `searchFreeSlots` when it can be had from the slots between the requested one and
    /// the last alternative offered before; nil when a new search is needed. An answer of `limit` slots all
    /// after the requested one names the first free ones from there on: scanning just that span again, as it
    /// is now, finds them again, or a place freed meanwhile inside it (a cancellation, a hold run out), in
    /// their order; a slot that turned past or full is not free any more. One slot fewer and the rest of the
    /// two weeks must be searched.
    private func revalidate(_ cached: [Slot], service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot]? {
        let start = max(now, slot?.startInstant ?? now)
        // A failed read means "search again", which reports the failure.
        guard cached.count == limit, let last = cached.last, cached.allSatisfy({ $0.startInstant >= start }),
              let occupancy = try? source.occupancy(serviceID: service.id, from: start, to: last.startInstant + 1, now: now)[service.id] ?? [:]
        else { return nil }
        let found = freeSlots(service: service, from: start, days: RomeTime.local(start).date...RomeTime.local(last.startInstant).date,
                              through: last.startInstant, excluding: slot?.startInstant, limit: limit, occupancy: occupancy, now: now)
        return found.count == limit ? found : nil
    }

    /// The first `limit` free slots of `days` starting in [start, end], in order.
    private func freeSlots(service: Service, from start: Int64, days: ClosedRange<CivilDate>, through end: Int64 = .max,
                           excluding excluded: Int64?, limit: Int, occupancy: [Int64: SlotOccupancy], now: Int64) -> [Slot] {
        var found: [Slot] = []
        var day = days.lowerBound
        while found.count < limit, day <= days.upperBound {
            for candidate in service.slots(on: day) where candidate.startInstant >= start && candidate.startInstant <= end
                && candidate.startInstant != excluded
                && service.availability(of: candidate, occupancy: occupancy[candidate.startInstant] ?? .empty, now: now).state == .free {
                found.append(candidate)
                if found.count == limit { break }
            }
            day = day.adding(days: 1)
        }
        return found
    }

    /// The first free slots after the chosen one; when there are fewer than `limit` in the next two weeks,
    /// the free ones just before it too, so an empty answer means nothing is left to book. Only days from
    /// today to the last bookable day can have a free slot, so the walk stays inside them: the search costs
    /// the same whatever date was asked for.
    private func searchFreeSlots(service: Service, from slot: Slot?, limit: Int, now: Int64) -> [Slot] {
        let today = RomeTime.local(now).date
        let lastDay = service.lastBookableDay(today: today)
        let start = max(now, slot?.startInstant ?? now)
        let firstDay = min(RomeTime.local(start).date, lastDay)
        let endDay = min(RomeTime.local(start).date.adding(days: 14), lastDay)
        let occupancy: [Int64: SlotOccupancy]
        do {
            occupancy = try source.occupancy(serviceID: service.id, from: now - 86_400, to: Int64(endDay.dayNumber + 2) * 86_400,
                                             now: now)[service.id] ?? [:]
        } catch {
            // The alternatives only accompany another answer: offer none, but never silently.
            Log.error("alternatives_unread", ["error": .text("\(error)")])
            return []
        }
        func isFree(_ candidate: Slot) -> Bool {
            candidate.startInstant != slot?.startInstant
                && service.availability(of: candidate, occupancy: occupancy[candidate.startInstant] ?? .empty, now: now).state == .free
        }
        let after = firstDay <= endDay
            ? freeSlots(service: service, from: start, days: firstDay...endDay, excluding: slot?.startInstant, limit: limit, occupancy: occupancy, now: now)
            : []
        var before: [Slot] = []
        var day = firstDay
        while after.count + before.count < limit, day >= today {
            for candidate in service.slots(on: day).reversed() where candidate.startInstant >= now && candidate.startInstant < start && isFree(candidate) {
                before.append(candidate)
                if after.count + before.count == limit { break }
            }
            day = day.adding(days: -1)
        }
        return before.reversed() + after
    }

    /// Answers for errors the HTTP server detects itself (413, 431, …), in the site's main language.
    public func errorResponse(status: Int) -> HTTPResponse {
        let t = site.renderer.texts(configuration.comune.language)
        let key = [400: "badRequest", 408: "timeout", 411: "lengthRequired", 413: "tooLarge", 414: "uriTooLong", 431: "headersTooLarge",
                   429: "tooManyConnections", 503: "busy"][status] ?? "badRequest"
        let context = RequestContext(language: configuration.comune.language)
        var response = page("error", status: status, title: t.text("httpErrors.\(key).title"), context: context,
                            values: ["message": .string(t.text("httpErrors.\(key).message")), "next": "", "code": .string(key),
                                     "alternatives": .list([]), "weekURL": ""])
        response.headers.append(("Connection", "close"))
        return SecurityHeaders.added(to: response)
    }
}

extension RequestContext {
    init(language: String) {
        self.language = language
        wantsJSON = false
        clientAddress = ""
    }
}

/// Answers of `Application.nearestFreeSlots`, current while the database has seen no new write and the
/// clock is in the same second (a hold can run out without a write); an answer that writes or the clock have
/// overtaken is handed back to be checked (`revalidate`) rather than dropped. Bounded: cleared when it grows
/// large.
final class AlternativesCache: Sendable {
    struct Key: Hashable {
        let serviceID: String
        let slotStart: Int64?
        let limit: Int
    }

    enum Lookup {
        /// Nothing was written since: the answer as it is.
        case current([Slot])
        /// Written since, or from an earlier second: an answer to check before use.
        case overtaken([Slot])
    }

    private struct Entry {
        let slots: [Slot]
        let writes: Int
        let second: Int64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var searches = 0
        var revalidations = 0
    }

    private let state = Mutex(State())
    private let capacity = 10_000

    func lookup(_ key: Key, writes: Int, now: Int64) -> Lookup? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            return entry.writes == writes && entry.second == now ? .current(entry.slots) : .overtaken(entry.slots)
        }
    }

    func store(_ slots: [Slot], for key: Key, writes: Int, now: Int64, revalidated: Bool) {
        state.withLock { state in
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(slots: slots, writes: writes, second: now)
            if revalidated { state.revalidations += 1 } else { state.searches += 1 }
        }
    }

    /// Full searches and answers kept after a check, since the start (tests, benches).
    var counts: (searches: Int, revalidations: Int) { state.withLock { ($0.searches, $0.revalidations) } }
}
