import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The office's routes under `/api/operator/` (`EndpointRoute.isOperator`): sign-in, the day's agenda (HTML, CSV
/// or JSON), outcomes, cancellations, unavailability and statistics. None of it is ever written to `output/`.
final class OperatorController: EndpointController, Sendable {
    static let operatorCookie = "sportello_operator"

    let store: BookingStore
    let operators: OperatorStore
    /// Wrong operator tokens per client address (shared with citizens' sign-ins).
    let loginLimiter: RateLimiter
    /// Turns what each write changed into page re-renders and delivery wake-ups.
    let afterCommit: AfterCommit
    let answers: EndpointAnswers
    let clock: @Sendable () -> Int64

    init(
        store: BookingStore, operators: OperatorStore, loginLimiter: RateLimiter, afterCommit: AfterCommit,
        answers: EndpointAnswers, clock: @escaping @Sendable () -> Int64
    ) {
        self.store = store
        self.operators = operators
        self.loginLimiter = loginLimiter
        self.afterCommit = afterCommit
        self.answers = answers
        self.clock = clock
    }

    func operatorRoute(
        _ action: EndpointRoute, _ request: HTTPRequest, _ fields: FormFields, _ context: RequestContext
    ) -> HTTPResponse {
        if action == .operatorLogout {
            if let session = request.cookies[Self.operatorCookie] { operators.endSession(session) }
            var response = HTTPResponse.redirect(layout.url(.operatorLogin, language: context.language))
            response.headers.append(("Set-Cookie", operatorCookie(value: "", maxAge: 0)))
            return response
        }
        let account: Operator
        let signingIn: Bool
        switch authenticate(request, action: action, fields: fields, clientKey: context.clientKey) {
        case .refused(let refusal):
            if action == .operatorLogin, refusal.error == .unauthorized, !context.wantsJSON {
                return loginRefused(fields, context)
            }
            var response = failure(refusal.error, context)
            response.headers += refusal.headers
            return response
        case .signedIn(let signedIn, let browserSignIn):
            (account, signingIn) = (signedIn, browserSignIn)
        }
        let desk = OperatorDesk(
            catalogue: site.catalogue, store: store, account: account, address: context.clientAddress,
            messages: configuration.messagePolicy)
        let now = clock()
        let entry = fields["entry"].flatMap { $0.isEmpty ? nil : $0 }
        var date = fields["date"].flatMap { CivilDate(iso: $0) } ?? RomeTime.local(now).date
        var flash: String?
        var affected: [Booking] = []
        /// A browser's block form with wrong fields: the agenda again, the form kept and its fields named.
        var blockRefusal: (typed: FormFields, messages: [String: String])?
        let t = site.renderer.texts(context.language)
        do throws(OperatorDesk.Failure) {
            switch action {
            case .operatorLogin, .operatorAgenda:
                break
            case .operatorOutcome:
                guard let outcome = fields["outcome"].flatMap(Outcome.init(rawValue:)) else {
                    return failure(.invalidFields, context)
                }
                let recorded = try desk.recordOutcome(code: fields["code"] ?? "", outcome: outcome, now: now)
                afterCommit.apply(recorded.change)
                date = RomeTime.local(recorded.value.slot.start).date
                flash = t.text("operator.saved")
            case .operatorCancel:
                let reason = (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty, reason.count <= 200 else {
                    return failure(.invalidFields, context, fieldErrors: ["reason": "required"])
                }
                let cancelled = try desk.cancel(
                    code: fields["code"] ?? "", reason: reason,
                    keepClosed: fields["keep_closed"] != nil, now: now)
                afterCommit.apply(cancelled.change)
                date = RomeTime.local(cancelled.value.slot.start).date
                flash = t.text("operator.saved")
            case .operatorBlocks:
                if !context.wantsJSON {
                    let messages = blockFormMessages(fields, t)
                    if !messages.isEmpty {
                        blockRefusal = (fields, messages)
                        break
                    }
                }
                guard let from = fields["from"].flatMap({ LocalTime(parsing: Substring($0)) }),
                    let to = fields["to"].flatMap({ LocalTime(parsing: Substring($0)) })
                else { throw .badRange }
                let desks = fields["desks"].flatMap { Int($0) }
                let deskName = fields["desk"].flatMap { $0.isEmpty ? nil : $0 }
                let reason = fields["reason"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap {
                    $0.isEmpty ? nil : String($0.prefix(200))
                }
                let blocked = try desk.block(
                    serviceID: fields["service"] ?? "", date: date, from: from, to: to,
                    desks: desks, deskName: deskName, reason: reason,
                    cancelBookings: fields["cancel_bookings"] != nil, now: now)
                afterCommit.apply(blocked.change)
                affected = blocked.value.affected
                flash = t.text("operator.saved")
            case .operatorRemoveBlock:
                guard let id = fields["id"].flatMap({ Int64($0) }) else { throw .booking(.blockNotFound) }
                let removed = try desk.unblock(id: id, now: now)
                afterCommit.apply(removed.change)
                date = RomeTime.local(removed.value.startsAt).date
                flash = t.text("operator.saved")
            case .operatorGrid:
                return try gridPage(
                    desk: desk, fields: fields, date: date, now: now,
                    signedInAs: t.format("operator.signedInAs", ["name": account.name]), context: context)
            case .operatorStatistics:
                return try statisticsPage(
                    desk: desk, fields: fields, now: now,
                    signedInAs: t.format("operator.signedInAs", ["name": account.name]), context: context)
            case .operatorMove:
                let booking = try desk.bookingInScope(code: fields["code"] ?? "")
                let outcome = moveStep(
                    booking, fields, context, route: .operatorMove, hidden: ["entry": entry ?? ""], store: store,
                    afterCommit: afterCommit, now: now
                ) { start, capacity, deskClaim throws(BookingError) in
                    try desk.move(code: booking.code, to: start, capacity: capacity, deskClaim: deskClaim, now: now)
                }
                switch outcome {
                case .answer(let response): return response
                case .moved(let moved, let previous):
                    date = RomeTime.local(moved.slot.start).date
                    flash = movedFlash(moved, from: previous, t)
                }
            case .operatorApprove, .operatorRefuse:
                let answered: Committed<Booking>
                if action == .operatorApprove {
                    answered = try desk.approve(code: fields["code"] ?? "", now: now)
                } else {
                    let reason = (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !reason.isEmpty, reason.count <= BookingStore.refusalReasonLimit else {
                        return failure(.invalidFields, context, fieldErrors: ["reason": "required"])
                    }
                    answered = try desk.refuse(code: fields["code"] ?? "", reason: reason, now: now)
                }
                afterCommit.apply(answered.change)
                date = RomeTime.local(answered.value.slot.start).date
                flash = t.text("operator.saved")
            case .operatorBook:
                switch staffBooking(desk, fields: fields, now: now, context: context) {
                case .answer(let response): return response
                case .booked(let booked):
                    afterCommit.apply(booked.change)
                    date = RomeTime.local(booked.value.slot.start).date
                    flash = t.format("staffBooking.booked", ["code": booked.value.code])
                }
            case .operatorStats:
                return statisticsCSV(
                    fields, services: Set(account.serviceIDs(in: site.catalogue)), now: now,
                    context: context)
            default:
                return failure(.notFound, context)
            }
            let (bookings, blocks) = try desk.agenda(entryID: entry, date: date)
            let answers: [String: [String: String]]
            do { answers = try store.extraFields(codes: (bookings + affected).map(\.code)) } catch {
                throw .booking(error)
            }
            if fields["format"] == "csv" {
                return agendaCSV(bookings, answers: answers, date: date, language: context.language)
            }
            if context.wantsJSON {
                return json(
                    200,
                    [
                        "date": date.description, "bookings": bookings.map { operatorJSON($0) },
                        "blocks": blocks.map {
                            [
                                "id": $0.id, "service": $0.serviceID, "start": $0.startsAt, "end": $0.endsAt,
                                "desks": $0.desks, "desk": $0.deskName ?? "",
                            ]
                        },
                        "affected": affected.map { operatorJSON($0) },
                    ])
            }
            var response = agendaPage(
                account: account, date: date, entry: entry, bookings: bookings, blocks: blocks, affected: affected,
                answers: answers, flash: flash, now: now, context: context, blockRefusal: blockRefusal)
            if blockRefusal != nil {
                response.status = EndpointError.invalidFields.status
                self.answers.metrics.countRefusal(EndpointError.invalidFields.rawValue)
            }
            if signingIn && fields["token"] != nil {
                let session: String
                do { session = try operators.startSession(for: account, now: now) } catch {
                    return failure(EndpointError(error), context)
                }
                response.headers.append(
                    ("Set-Cookie", operatorCookie(value: session, maxAge: Int(OperatorStore.sessionSeconds))))
            }
            return response
        } catch {
            return failure(error.endpointError, context)
        }
    }

    /// Who an office request comes from, or why it is refused.
    enum Authentication {
        /// `signingIn`: a browser signing in with the token on the sign-in form (it gets a session cookie).
        case signedIn(Operator, signingIn: Bool)
        case refused(RequestRefusal)
    }

    /// The operator-token step: the `Authorization: Bearer` token of a script, the token typed on the sign-in
    /// form, or the session cookie of a browser signed in before. `clientKey`: what wrong tokens count under.
    func authenticate(
        _ request: HTTPRequest, action: EndpointRoute, fields: FormFields, clientKey: String
    ) -> Authentication {
        // A script sends the token with each request; a browser signs in once with it (`login`) and then carries
        // only a session id, which logout ends. The token itself is never a cookie.
        let bearer = request.headers["Authorization"].flatMap {
            $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
        }
        let signingIn = bearer == nil && action == .operatorLogin
        let signedIn: Operator?
        do {
            // A token in a GET's query would land in logs and history: a view by GET needs the session or a bearer.
            if let token = bearer ?? (request.method == "POST" ? fields["token"] : nil) {
                // Each check costs a yescrypt hash: wrong tokens are limited per client like citizens' sign-ins, so
                // a flood of them cannot keep the workers hashing (a script with its right token never fails).
                let now = Double(clock())
                guard loginLimiter.wouldAllow(clientKey, now: now) else {
                    return .refused(RequestRefusal(error: .rateLimited, headers: [("Retry-After", "60")]))
                }
                signedIn = try operators.authenticate(token: token)
                if signedIn == nil { _ = loginLimiter.allow(clientKey, now: now) }
            } else if let session = request.cookies[Self.operatorCookie] {
                signedIn = try operators.operatorOf(session: session, now: clock())
            } else {
                signedIn = nil
            }
        } catch {
            return .refused(RequestRefusal(error: EndpointError(error)))
        }
        guard let account = signedIn else { return .refused(RequestRefusal(error: .unauthorized)) }
        return .signedIn(account, signingIn: signingIn)
    }

    /// The sign-in cookie: only sent back to the operator endpoint, never readable by scripts or sent cross-site.
    private func operatorCookie(value: String, maxAge: Int) -> String {
        cookie(Self.operatorCookie, value: value, path: layout.operatorAPIRoot, maxAge: Int64(maxAge))
    }

    private func operatorJSON(_ booking: Booking) -> [String: Any] {
        var value = bookingJSON(booking)
        value["givenName"] = booking.person.givenName
        value["familyName"] = booking.person.familyName
        value["codiceFiscale"] = booking.person.codiceFiscale
        value["notes"] = booking.person.notes ?? ""
        value["presenterCodiceFiscale"] = booking.person.presenterCodiceFiscale ?? ""
        value["cancelReason"] = booking.cancelReason ?? ""
        value["phone"] = booking.person.phone
        value["email"] = booking.person.email
        return value
    }

    private func agendaPage(
        account: Operator, date: CivilDate, entry: String?, bookings: [Booking], blocks: [Block], affected: [Booking],
        answers: [String: [String: String]], flash: String?, now: Int64, context: RequestContext,
        blockRefusal: (typed: FormFields, messages: [String: String])? = nil
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let language = context.language
        func serviceName(_ id: String) -> String { site.catalogue.service(id: id)?.text(for: language).name ?? id }
        func row(_ booking: Booking) -> TemplateValue {
            let start = RomeTime.local(booking.slot.start)
            let end = RomeTime.local(booking.slotEnd)
            let person = booking.person
            return .object([
                "time": .string(LocalTime(minutes: start.minutes)?.description ?? ""),
                "end": .string(LocalTime(minutes: end.minutes)?.description ?? ""),
                "when": .string("\(t.shortDate(start.date)) \(LocalTime(minutes: start.minutes)?.description ?? "")"),
                "service": .string(serviceName(booking.slot.serviceID)),
                "desk": .string(booking.deskName ?? ""),
                "code": .string(booking.code),
                "name": .string("\(person.givenName) \(person.familyName)"),
                "codiceFiscale": .string(person.codiceFiscale),
                "presenter": .string(
                    [person.presenterName, person.presenterCodiceFiscale].compactMap { $0 }.joined(separator: " ")),
                "notes": .string(person.notes ?? ""),
                "phone": .string(person.phone), "email": .string(person.email),
                "extraFields": .list(
                    Self.extraAnswers(booking, answers, site: site, language: language).map {
                        .object(["label": .string($0.label), "value": .string($0.value)])
                    }),
                "stateText": .string(t.text("operator.stateNames.\(booking.state.rawValue)")),
                "cancelReason": .string(booking.cancelReason ?? ""),
                "canOutcome": .bool(booking.slot.start <= now && booking.state.acceptsOutcome),
                "canCancel": .bool(
                    booking.state.isActive(slotStart: booking.slot.start, at: now) && !booking.state.awaitsApproval),
                "canApprove": .bool(booking.state.awaitsApproval && booking.slot.start > now),
            ])
        }
        let allowed = Set(account.serviceIDs(in: site.catalogue))
        var entries: [TemplateValue] = []
        func walk(_ nodes: [CatalogueEntry], depth: Int) {
            for node in nodes {
                let covered = site.catalogue.serviceIDs(under: node.id).contains(where: allowed.contains)
                if covered {
                    let indent = String(repeating: "– ", count: depth)
                    entries.append(
                        .object([
                            "id": .string(node.id), "name": .string(indent + node.text(for: language).name),
                            "selected": .bool(node.id == entry),
                        ]))
                }
                walk(node.children, depth: depth + 1)
            }
        }
        walk(site.catalogue.roots, depth: 0)
        let services: [(id: String, name: String)] = site.catalogue.services.filter {
            allowed.contains($0.id) && (entry == nil || site.catalogue.serviceIDs(under: entry ?? "").contains($0.id))
        }
        .map { (id: $0.id, name: $0.text(for: language).name) }
        let blockValues: [TemplateValue] = blocks.map { block in
            .object([
                "id": .string(String(block.id)), "service": .string(serviceName(block.serviceID)),
                "from": .string(LocalTime(minutes: RomeTime.local(block.startsAt).minutes)?.description ?? ""),
                "to": .string(LocalTime(minutes: RomeTime.local(block.endsAt).minutes)?.description ?? ""),
                "desks": .string(String(block.desks)), "desk": .string(block.deskName ?? ""),
                "reason": .string(block.reason ?? ""),
            ])
        }
        return page(
            "operator-agenda", status: 200, title: t.format("operator.agendaTitle", ["date": t.longDate(date)]),
            context: context,
            values: [
                "signedInAs": .string(t.format("operator.signedInAs", ["name": account.name])),
                "flash": .string(flash ?? ""),
                "dateISO": .string(date.description), "previousISO": .string(date.adding(days: -1).description),
                "nextISO": .string(date.adding(days: 1).description), "entry": .string(entry ?? ""),
                "entries": .list(entries),
                "services": .list(services.map { .object(["id": .string($0.id), "name": .string($0.name)]) }),
                "blockForm": blockFormValue(
                    services: services, typed: blockRefusal?.typed, messages: blockRefusal?.messages ?? [:], t),
                "bookings": .list(bookings.map(row)), "hasBookings": .bool(!bookings.isEmpty),
                "affected": .list(affected.map(row)), "hasAffected": .bool(!affected.isEmpty),
                "blocks": .list(blockValues),
                "agendaAction": .string(layout.api(.operatorAgenda)),
                "logoutAction": .string(layout.api(.operatorLogout)),
                "outcomeAction": .string(layout.api(.operatorOutcome)),
                "cancelAction": .string(layout.api(.operatorCancel)), "moveAction": .string(layout.api(.operatorMove)),
                "blockAction": .string(layout.api(.operatorBlocks)),
                "removeAction": .string(layout.api(.operatorRemoveBlock)),
                "gridURL": .string(viewURL(.operatorGrid, service: entry, date: date, view: "week", language)),
                "dayGridURL": .string(viewURL(.operatorGrid, service: entry, date: date, view: "day", language)),
                "statisticsURL": .string(viewURL(.operatorStatistics, service: nil, date: nil, view: nil, language)),
                "approveAction": .string(layout.api(.operatorApprove)),
                "refuseAction": .string(layout.api(.operatorRefuse)),
                "refusalReasonLimit": .string(String(BookingStore.refusalReasonLimit)),
                "bookAction": .string(layout.api(.operatorBook)),
            ], pageID: .operatorLogin)
    }

    func agendaCSV(
        _ bookings: [Booking], answers: [String: [String: String]], date: CivilDate, language: String
    ) -> HTTPResponse {
        HTTPResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Content-Disposition", "attachment; filename=\"agenda-\(date).csv\""),
            ],
            body: Array(Self.agendaCSV(bookings, answers: answers, site: site, language: language).utf8))
    }

    /// The answers to the extra form fields of `booking` (`answers`: by code, then field id), labelled, in the
    /// service's form order; answers to fields no longer declared are named by their id.
    static func extraAnswers(
        _ booking: Booking, _ answers: [String: [String: String]], site: LoadedSite, language: String
    ) -> [(label: String, value: String)] {
        guard let given = answers[booking.code], !given.isEmpty else { return [] }
        let declared = site.catalogue.service(id: booking.slot.serviceID)?.extraFields ?? []
        let main = site.configuration.comune.language
        var listed = declared.compactMap { field in
            given[field.id].map { (label: field.label(for: language, fallback: main), value: $0) }
        }
        let known = Set(declared.map(\.id))
        listed += given.filter { !known.contains($0.key) }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return listed
    }

    /// The day's agenda for a spreadsheet: one row per booking, every state, the citizen's contacts (the agenda
    /// only ever holds bookings of the operator's scope, who sees names and contacts alike), then the extra
    /// fields' answers (`answers`: by booking code, `BookingStore.extraFields(codes:)`) in one column, and last
    /// the desk the booking was given (empty for a service without desks): new columns go at the end so that a
    /// spreadsheet reading columns by position keeps working.
    static func agendaCSV(
        _ bookings: [Booking], answers: [String: [String: String]] = [:], site: LoadedSite, language: String
    ) -> String {
        let t = site.renderer.texts(language)
        var text =
            CSV.byteOrderMark
            + CSV.line([
                "data", "ora", "fine", "servizio", "codice", "nome", "cognome", "codice_fiscale", "presentata_da",
                "codice_fiscale_presentatore", "motivo", "stato", "motivo_annullamento", "telefono", "email",
                "campi_aggiuntivi", "sportello",
            ])
        for booking in bookings {
            let start = RomeTime.local(booking.slot.start)
            let person = booking.person
            text += CSV.line([
                start.date.description, LocalTime(minutes: start.minutes)?.description ?? "",
                LocalTime(minutes: RomeTime.local(booking.slotEnd).minutes)?.description ?? "",
                site.catalogue.service(id: booking.slot.serviceID)?.text(for: language).name ?? booking.slot.serviceID,
                booking.code, person.givenName, person.familyName, person.codiceFiscale, person.presenterName ?? "",
                person.presenterCodiceFiscale ?? "", person.notes ?? "",
                t.text("operator.stateNames.\(booking.state.rawValue)"),
                booking.cancelReason ?? "", person.phone, person.email,
                extraAnswers(booking, answers, site: site, language: language).map { "\($0.label): \($0.value)" }
                    .joined(separator: "; "),
                booking.deskName ?? "",
            ])
        }
        return text
    }

    private func statisticsCSV(
        _ fields: FormFields, services: Set<String>, now: Int64,
        context: RequestContext
    ) -> HTTPResponse {
        let today = RomeTime.local(now).date
        let from = fields["from"].flatMap { CivilDate(iso: $0) } ?? today.adding(days: -30)
        let to = fields["to"].flatMap { CivilDate(iso: $0) } ?? today
        let text: String
        do { text = try Self.statisticsCSV(store: store, from: from, to: to, services: services) } catch {
            return failure(EndpointError(error), context)
        }
        return HTTPResponse(
            status: 200,
            headers: [
                ("Content-Type", "text/csv; charset=utf-8"), ("Cache-Control", "no-store"),
                ("Content-Disposition", "attachment; filename=\"statistiche-\(from)-\(to).csv\""),
            ],
            body: Array(text.utf8))
    }

    /// Per service, appointments from `from` to `to` (inclusive): counts by outcome, no-show rate, mean lead time.
    /// `services`: the operator's scope (nil: every service, for the administrator's command line).
    /// A database failure is thrown, never written as a file with no rows.
    static func statisticsCSV(
        store: BookingStore, from: CivilDate, to: CivilDate, services: Set<String>?
    ) throws -> String {
        let rows = try store.statistics(from: OperatorDesk.bounds(of: from).0, to: OperatorDesk.bounds(of: to).1)
            .filter { services?.contains($0.serviceID) ?? true }
        var text =
            CSV.byteOrderMark
            + CSV.line([
                "servizio", "prenotazioni", "eseguiti", "assenti", "annullati_cittadino", "annullati_operatore",
                "tasso_assenza", "anticipo_medio_giorni",
            ])
        for row in rows {
            text += CSV.line([
                row.serviceID, String(row.bookings), String(row.done), String(row.absent),
                String(row.cancelledByCitizen),
                String(row.cancelledByOperator), CSV.decimal(row.noShowRate, digits: 3),
                CSV.decimal(row.meanLeadDays, digits: 1),
            ])
        }
        return text
    }
}
