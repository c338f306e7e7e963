import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// Who is booking, when known: an account signed in with its credentials, or an identity certified by
/// SPID/CIE at the comune's authenticating proxy.
struct Citizen: Sendable, Equatable {
    let codiceFiscale: String
    let givenName: String
    let familyName: String
    let email: String
    let phone: String
    /// Certified by SPID/CIE: names and codice fiscale are locked on the forms.
    let certified: Bool

    var fullName: String { "\(givenName) \(familyName)" }
}

/// Accounts (registration, sign-in, forgotten credentials), "le mie prenotazioni" and booking for someone
/// else. Every answer is a page for browsers or JSON for `Accept: application/json`.
extension Application {
    static let sessionCookie = "sportello_session"

    /// The signed-in citizen: identity headers count only when they come from a trusted proxy; otherwise the
    /// session cookie decides. A header sent by anyone else is ignored.
    func identify(_ request: HTTPRequest) -> Citizen? {
        if let headers = configuration.identity, configuration.booking.trustedProxies.contains(request.remoteAddress),
           var fiscal = request.headers[headers.codiceFiscale]?.trimmingCharacters(in: .whitespaces), !fiscal.isEmpty {
            // SPID passes "TINIT-<codice fiscale>".
            if fiscal.uppercased().hasPrefix("TINIT-") { fiscal = String(fiscal.dropFirst(6)) }
            guard let codiceFiscale = try? FieldValidator.codiceFiscale(fiscal).value,
                  let given = try? FieldValidator.personName(request.headers[headers.givenName] ?? "", field: "nome"),
                  let family = try? FieldValidator.personName(request.headers[headers.familyName] ?? "", field: "cognome") else { return nil }
            let email = headers.email.flatMap { request.headers[$0] }.flatMap { try? FieldValidator.email($0) } ?? ""
            let phone = headers.phone.flatMap { request.headers[$0] }.flatMap { try? FieldValidator.phone($0) } ?? ""
            return Citizen(codiceFiscale: codiceFiscale, givenName: given, familyName: family, email: email, phone: phone, certified: true)
        }
        guard let token = request.cookies[Self.sessionCookie], let account = accounts.account(session: token, now: clock()) else { return nil }
        return Citizen(codiceFiscale: account.codiceFiscale, givenName: account.givenName, familyName: account.familyName,
                       email: account.email, phone: account.phone, certified: false)
    }

    private func sessionCookie(value: String, maxAge: Int64) -> String {
        let secure = configuration.comune.baseURL.hasPrefix("https:") ? "; Secure" : ""
        return "\(Self.sessionCookie)=\(value); Path=\(layout.api("")); Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure)"
    }

    /// A page that tells the outcome of a step and where to go next.
    func notice(_ key: String, status: Int = 200, context: RequestContext, arguments: KeyValuePairs<String, String> = [:]) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        if context.wantsJSON { return json(status, ["result": key, "message": t.format("notices.\(key).message", arguments)]) }
        return page("notice", status: status, title: t.text("notices.\(key).title"), context: context, values: [
            "message": .string(t.format("notices.\(key).message", arguments)), "next": .string(t.text("notices.\(key).next")),
            "accountURL": .string(layout.url(.account, language: context.language)),
        ], pageID: .account)
    }

    // MARK: Registration and credentials

    func register(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let (person, errors) = validatePerson(formValues(fields), notesRequired: false)
        guard let person else { return failure(.invalidFields, context, fieldErrors: errors) }
        if let limited = limitAccountRequest("register", contacts: [person.email, person.phone], context, fields: fields) { return limited }
        do {
            _ = try accounts.register(person, now: clock(), address: context.clientAddress) { connection, account, password in
                try sendCredentials(connection, account: account, password: password, language: context.language)
            }
        } catch {
            return failure(.storage, context)
        }
        notificationWorker.wake()
        // The same answer whether or not the codice fiscale already had an account.
        return notice("registered", status: 202, context: context)
    }

    func resetCredentials(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard let limited = limitSignIn(context)
                ?? limitAccountRequest("reset", contacts: [fields["contatto"] ?? ""], codiceFiscale: codiceFiscale, context, fields: fields) else {
            do {
                _ = try accounts.resetCredentials(codiceFiscale: codiceFiscale, contact: fields["contatto"] ?? "", now: clock(),
                                                  address: context.clientAddress) { connection, account, password in
                    try sendCredentials(connection, account: account, password: password, language: context.language)
                }
            } catch {
                return failure(.storage, context)
            }
            notificationWorker.wake()
            return notice("credentialsSent", status: 202, context: context)
        }
        return limited
    }

    /// Sign-in attempts from one address are limited; nil when this one may proceed.
    private func limitSignIn(_ context: RequestContext) -> HTTPResponse? {
        guard !loginLimiter.allow(context.clientAddress, now: Double(clock())) else { return nil }
        var response = failure(.rateLimited, context)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    func login(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        if let limited = limitSignIn(context) { return limited }
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let account: Account
        let session: String
        do {
            (account, session) = try accounts.login(codiceFiscale: codiceFiscale, password: fields["password"] ?? "", now: clock(),
                                                    address: context.clientAddress)
        } catch {
            switch error {
            case .wrongCredentials: return failure(.wrongCredentials, context)
            case .locked(let until):
                var response = failure(.accountLocked, context,
                                       messageArguments: ["time": LocalTime(minutes: RomeTime.local(until).minutes)?.description ?? ""])
                response.headers.append(("Retry-After", String(max(1, until - clock()))))
                return response
            case .storage: return failure(.storage, context)
            }
        }
        var signedIn = context
        signedIn.citizen = Citizen(codiceFiscale: account.codiceFiscale, givenName: account.givenName, familyName: account.familyName,
                                   email: account.email, phone: account.phone, certified: false)
        var response = myBookings(FormFields(), signedIn)
        response.headers.append(("Set-Cookie", sessionCookie(value: session, maxAge: AccountStore.sessionSeconds)))
        return response
    }

    func logout(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        if let token = request.cookies[Self.sessionCookie] { accounts.logout(session: token) }
        var response = HTTPResponse.redirect(layout.url(.account, language: context.language))
        response.headers.append(("Set-Cookie", sessionCookie(value: "", maxAge: 0)))
        return response
    }

    // MARK: Le mie prenotazioni

    func myBookings(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        let bookings: [Booking]
        do { bookings = try store.bookings(of: citizen.codiceFiscale) } catch { return failure(.storage, context) }
        if context.wantsJSON {
            return json(200, ["codiceFiscale": citizen.codiceFiscale, "bookings": bookings.map { booking -> [String: Any] in
                var value = bookingJSON(booking)
                value["beneficiary"] = booking.person.codiceFiscale
                value["presenter"] = booking.person.presenterCodiceFiscale ?? ""
                return value
            }])
        }
        let t = site.renderer.texts(context.language)
        let now = clock()
        let rows: [TemplateValue] = bookings.map { booking in
            let service = site.catalogue.service(id: booking.slot.serviceID)
            let slot = service?.slot(startingAt: booking.slot.start)
            let past = booking.slotEnd <= now
            let onBehalf = booking.person.presenterCodiceFiscale == citizen.codiceFiscale && booking.person.codiceFiscale != citizen.codiceFiscale
            let presentedByOther = booking.person.presenterCodiceFiscale.map { $0 != citizen.codiceFiscale } ?? false
            return .object([
                "code": .string(booking.code),
                "service": .string(service?.text(for: context.language).name ?? booking.slot.serviceID),
                "when": .string(slot.map { whenText($0, t) } ?? ""),
                "state": .string(t.text("operator.stateNames.\(booking.state.rawValue)")),
                "past": .bool(past),
                "forWhom": .string(onBehalf ? t.format("myBookings.forOther", ["name": "\(booking.person.givenName) \(booking.person.familyName)",
                                                                                  "codiceFiscale": booking.person.codiceFiscale]) : ""),
                "byWhom": .string(presentedByOther ? t.format("myBookings.byOther", ["name": booking.person.presenterName ?? "",
                                                                                     "codiceFiscale": booking.person.presenterCodiceFiscale ?? ""]) : ""),
                "canCancel": .bool(booking.state == .booked && booking.slot.start > now),
            ])
        }
        return page("my-bookings", status: 200, title: t.text("myBookings.title"), context: context, values: [
            "who": .string(t.format(citizen.certified ? "myBookings.whoCertified" : "myBookings.who",
                                    ["name": citizen.fullName, "codiceFiscale": citizen.codiceFiscale])),
            "bookings": .list(rows), "hasBookings": .bool(!rows.isEmpty),
            "cancelAction": .string(layout.api("my-bookings/cancel")), "logoutAction": .string(layout.api("logout")),
            "receiptAction": .string(layout.api("receipts")),
            "signedInWithAccount": .bool(!citizen.certified),
            "catalogueURL": .string(layout.url(.catalogue, language: context.language)),
        ], pageID: .account)
    }

    /// Cancels one of the citizen's own bookings (theirs, or one they presented for someone else).
    func cancelMine(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        let booking: Booking
        do {
            booking = try store.cancel(code: fields["code"] ?? "", codiceFiscale: citizen.codiceFiscale, now: clock(), clientIP: context.clientAddress,
                                       within: notify("cancelled"))
        } catch {
            return failure(EndpointError(error), context)
        }
        notificationWorker.wake()
        queue.mark(SitePublisher.pages(touchedBy: booking.slot.serviceID, slotStart: booking.slot.start))
        return myBookings(fields, context)
    }

    // MARK: Booking for someone else

    /// "Per un'altra persona": the presenter gives the beneficiary's codice fiscale first; the form that
    /// follows is bound to it. An empty codice fiscale goes back to booking for oneself.
    func chooseBeneficiary(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard context.citizen != nil else { return failure(.signInRequired, context) }
        guard let token = fields["hold"], let hold = try? store.hold(token: token), let service = site.catalogue.service(id: hold.slot.serviceID),
              let slot = service.slot(startingAt: hold.slot.start) else { return failure(.holdNotFound, context) }
        if hold.released { return failure(.holdReleased, context, service: service, near: slot) }
        if hold.bookingID == nil && hold.expiresAt <= clock() { return failure(.holdExpired, context, service: service, near: slot) }
        let given = (fields["beneficiary"] ?? "").trimmingCharacters(in: .whitespaces)
        var values = formValues(fields)
        if given.isEmpty {
            values["beneficiary"] = ""
            return formPage(service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:], context: context, status: 200)
        }
        do {
            values["beneficiary"] = try FieldValidator.codiceFiscale(given).value
        } catch {
            return formPage(service: service, slot: slot, hold: hold, values: values, errors: ["beneficiary": error.code], context: context, status: 422)
        }
        if values["beneficiary"] == context.citizen?.codiceFiscale { values["beneficiary"] = "" }
        // A new beneficiary: names start empty, the codice fiscale is theirs, contacts stay the presenter's.
        values["nome"] = ""
        values["cognome"] = ""
        return formPage(service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:], context: context, status: 200)
    }

    /// Queues the credentials message (mail and SMS) inside the registration's (or reset's) transaction, so an
    /// account never exists without its message and a crash loses neither.
    func sendCredentials(_ connection: Connection, account: Account, password: String, language: String) throws {
        let settings = configuration.notifications
        let payload = ["codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)", "password": password]
        for (channel, recipient, enabled) in [("email", account.email, settings.email), ("sms", account.phone, settings.sms)] where enabled && !recipient.isEmpty {
            try Outbox.enqueue(connection, kind: "credentials", channel: channel, recipient: recipient, bookingID: nil, language: language,
                               payload: payload, at: clock(), limits: configuration.limits)
        }
    }

    /// Queues the messages about a booking on every channel the comune uses, inside the change's transaction.
    func notify(_ kind: String) -> (Connection, Booking) throws -> Void {
        Notifications.queue(kind, settings: configuration.notifications, limits: configuration.limits, now: clock())
    }
}

extension Application {
    /// The printable receipt, again: booking code and codice fiscale (or the signed-in citizen), never published.
    func receipt(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let codiceFiscale = (fields["codice_fiscale"] ?? "").isEmpty ? (context.citizen?.codiceFiscale ?? "") : (fields["codice_fiscale"] ?? "")
        guard let booking = (try? store.booking(code: fields["code"] ?? "", codiceFiscale: codiceFiscale)) ?? nil else {
            return failure(.bookingNotFound, context)
        }
        if context.wantsJSON { return json(200, ["booking": bookingJSON(booking)]) }
        let t = site.renderer.texts(context.language)
        return page("receipt", status: 200, title: "\(t.text("receipt.title")) \(booking.code)", context: context,
                    values: notifier.composer.receiptValues(booking, language: context.language), pageID: .cancel)
    }
}
