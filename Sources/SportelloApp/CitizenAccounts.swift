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
    /// The local account signed in (nil for SPID/CIE).
    var accountID: Int64? = nil
    /// The contact the account's password went to: what its holder has proved to receive.
    var verifiedContact = ""

    var fullName: String { "\(givenName) \(familyName)" }

    /// What this citizen may see and cancel: a certified person everything booked for them, and what they
    /// presented for others (also through a local account of theirs, known by its copies going to one of their
    /// certified contacts); an account what it made and what carries its verified contact (a typed codice
    /// fiscale proves nothing).
    var viewer: BookingViewer {
        if certified { return .certified(codiceFiscale: codiceFiscale, contacts: [email, phone]) }
        return .account(id: accountID ?? -1, codiceFiscale: codiceFiscale, verifiedContact: verifiedContact)
    }

    init(codiceFiscale: String, givenName: String, familyName: String, email: String, phone: String, certified: Bool) {
        self.codiceFiscale = codiceFiscale
        self.givenName = givenName
        self.familyName = familyName
        self.email = email
        self.phone = phone
        self.certified = certified
    }

    init(account: Account) {
        self.init(codiceFiscale: account.codiceFiscale, givenName: account.givenName, familyName: account.familyName, email: account.email,
                  phone: account.phone, certified: false)
        accountID = account.id
        verifiedContact = account.verifiedContact
    }
}

/// Accounts (registration, sign-in, forgotten credentials), "le mie prenotazioni" and booking for someone
/// else. Every answer is a page for browsers or JSON for `Accept: application/json`.
extension Application {
    static let sessionCookie = "sportello_session"

    /// The signed-in citizen: identity headers count only when they come from a trusted proxy with the secret
    /// it shares with Sportello; otherwise the session cookie decides. A header sent by anyone else is ignored.
    /// A database failure is thrown, not taken for "signed out".
    func identify(_ request: HTTPRequest) throws(DatabaseError) -> Citizen? {
        if let headers = configuration.identity, configuration.booking.isTrustedProxy(request.remoteAddress),
           Self.carriesProxySecret(request, headers),
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
        guard localAccountsAllowed, let token = request.cookies[Self.sessionCookie],
              let account = try accounts.account(session: token, now: clock()) else {
            return nil
        }
        return Citizen(account: account)
    }

    /// Sportello's own credentials, unless the comune has SPID/CIE and turned them off.
    var localAccountsAllowed: Bool { configuration.identity?.localAccounts ?? true }

    /// A certified sign-in for a codice fiscale with a local account takes the account over (see
    /// `AccountStore.takeOver`): whoever registered it, the certified person is its holder.
    func takeOverLocalAccount(of citizen: Citizen?, _ context: RequestContext) {
        guard let citizen, citizen.certified else { return }
        // The certified person is served either way; a take-over the database failed is logged (and tried again
        // at their next request), since the local account still works meanwhile.
        do {
            try accounts.takeOver(codiceFiscale: citizen.codiceFiscale, now: clock(), address: context.clientAddress)
        } catch {
            Log.error("account_takeover_failed", ["error": .text("\(error)")])
        }
    }

    /// Whether the request carries the identity proxy's secret (compared in constant time).
    static func carriesProxySecret(_ request: HTTPRequest, _ headers: IdentityHeaders) -> Bool {
        guard !headers.proxySecret.isEmpty, let given = request.headers[headers.proxySecretHeader] else { return false }
        return Tokens.constantTimeEqual(Array(given.utf8), Array(headers.proxySecret.utf8))
    }

    private func sessionCookie(value: String, maxAge: Int64) -> String {
        cookie(Self.sessionCookie, value: value, path: layout.api(""), maxAge: maxAge)
    }

    /// Every cookie Sportello sets: never readable by scripts, Secure on an https site, and sent back only to
    /// the endpoint (`path`); `sameSite` Strict unless a cross-site arrival must keep it.
    func cookie(_ name: String, value: String, path: String, maxAge: Int64, sameSite: String = "Strict") -> String {
        let secure = configuration.comune.baseURL.hasPrefix("https:") ? "; Secure" : ""
        return "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)\(secure)"
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
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        let (person, errors) = validatePerson(formValues(fields), notesRequired: false)
        guard let person else { return failure(.invalidFields, context, fieldErrors: errors) }
        // The password goes to one contact only, so signing in with it proves that contact.
        let contact = configuration.notifications.email || !configuration.notifications.sms ? person.email : person.phone
        if let limited = limitAccountRequest("register", contacts: [person.email, person.phone], context, fields: fields) { return limited }
        do {
            let registration = try accounts.register(person, verifiedContact: contact, now: clock(), address: context.clientAddress, onExisting: { connection, existing in
                try tellAccountExists(connection, account: existing, recipient: contact, language: context.language)
            }) { connection, account, password in
                try sendCredentials(connection, account: account, password: password, language: context.language)
                try warnOtherContacts(connection, account: account, language: context.language)
            }
            if case .alreadyRegistered = registration { spendTheTimeOfSendingCredentials() }
        } catch {
            return failure(EndpointError(error), context)
        }
        // Delivery starts once the answer is out: composing and handing over the mail while it is being written
        // would slow only the answers that sent something, and timing would tell again.
        notificationWorker.wake(after: 0.3)
        // The same answer whether or not the codice fiscale already had an account.
        return notice("registered", status: 202, context: context)
    }

    func resetCredentials(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard let limited = limitSignIn(context)
                ?? limitAccountRequest("reset", contacts: [fields["contatto"] ?? ""], codiceFiscale: codiceFiscale, context, fields: fields) else {
            do {
                let sent = try accounts.resetCredentials(codiceFiscale: codiceFiscale, contact: fields["contatto"] ?? "", now: clock(),
                                                         address: context.clientAddress) { connection, account, password in
                    try sendCredentials(connection, account: account, password: password, language: context.language)
                }
                if !sent { spendTheTimeOfSendingCredentials() }
            } catch {
                return failure(EndpointError(error), context)
            }
            notificationWorker.wake(after: 0.3)
            return notice("credentialsSent", status: 202, context: context)
        }
        return limited
    }

    /// The answer to a registration or a reset is the same whether or not credentials went out, and so must its
    /// time be: sending them syncs a secret file to disk (tens of milliseconds), so when nothing was sent the
    /// same is done with a decoy, removed at once. Otherwise timing told which codici fiscali have an account.
    private func spendTheTimeOfSendingCredentials() {
        let secrets = SecretFiles(database: store.database)
        // Only the time it takes matters here: a decoy that could not be written changes no answer.
        if let name = try? secrets.store(AccountStore.generatePassword()) { secrets.remove(name) }
    }

    /// Sign-in attempts from one address are limited; nil when this one may proceed.
    private func limitSignIn(_ context: RequestContext) -> HTTPResponse? {
        guard !loginLimiter.allow(context.clientKey, now: Double(clock())) else { return nil }
        var response = failure(.rateLimited, context)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    func login(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        if let limited = limitSignIn(context) { return limited }
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let account: Account
        let session: String
        do {
            (account, session) = try accounts.login(codiceFiscale: codiceFiscale, password: fields["password"] ?? "", now: clock(),
                                                    address: context.clientKey)
        } catch {
            switch error {
            case .wrongCredentials: return failure(.wrongCredentials, context)
            case .locked(let until):
                var response = failure(.accountLocked, context,
                                       messageArguments: ["time": LocalTime(minutes: RomeTime.local(until).minutes)?.description ?? ""])
                response.headers.append(("Retry-After", String(max(1, until - clock()))))
                return response
            case .database: return failure(EndpointError(error), context)
            }
        }
        var signedIn = context
        signedIn.citizen = Citizen(account: account)
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
        do { bookings = try store.bookings(visibleTo: citizen.viewer) } catch { return failure(EndpointError(error), context) }
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

    /// Cancels a booking the citizen may act on (see `Citizen.viewer`).
    func cancelMine(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        let booking: Booking
        do {
            booking = try store.cancel(code: fields["code"] ?? "", viewer: citizen.viewer, now: clock(), clientIP: context.clientAddress,
                                       within: notify(.cancelled))
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
        let found: Hold?
        do { found = try fields["hold"].flatMap { token throws(BookingError) in try store.hold(token: token) } } catch {
            return failure(EndpointError(error), context)
        }
        guard let hold = found, let service = site.catalogue.service(id: hold.slot.serviceID),
              let slot = service.slot(startingAt: hold.slot.start) else { return failure(.holdNotFound, context) }
        if hold.released { return failure(.holdReleased, context, service: service, near: slot) }
        if hold.bookingID == nil && hold.expiresAt <= clock() { return failure(.holdExpired, context, service: service, near: slot) }
        let given = (fields["beneficiary"] ?? "").trimmingCharacters(in: .whitespaces)
        var values = formValues(fields)
        if given.isEmpty {
            values["beneficiary"] = ""
            var response = formPage(service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:], context: context,
                                    status: 200)
            response.headers.append(("Set-Cookie", beneficiaryCookie(value: "", maxAge: 0)))
            return response
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

    static let beneficiaryCookie = "sportello_beneficiary"

    private func beneficiaryCookie(value: String, maxAge: Int64) -> String {
        cookie(Self.beneficiaryCookie, value: value, path: layout.api(""), maxAge: maxAge)
    }

    /// "Prenota per un'altra persona" on the service page, before any slot: the beneficiary's codice fiscale is
    /// checked at once (on the server, no script needed) and remembered for an hour in a cookie only the
    /// endpoint reads, so the hold's form then starts bound to that person. An empty one (or one's own)
    /// goes back to booking for oneself.
    func chooseBeneficiaryFirst(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        guard let service = fields["service"].flatMap({ site.catalogue.service(id: $0) }) else { return failure(.unknownService, context) }
        let t = site.renderer.texts(context.language)
        let week = layout.url(.week(service.id, monday: RomeTime.local(clock()).date.mondayOfWeek), language: context.language)
        let given = (fields["beneficiary"] ?? "").trimmingCharacters(in: .whitespaces)
        var beneficiary = ""
        if !given.isEmpty {
            do { beneficiary = try FieldValidator.codiceFiscale(given).value } catch {
                if context.wantsJSON { return failure(.invalidFields, context, fieldErrors: ["beneficiary": error.code]) }
                return page("error", status: EndpointError.invalidFields.status, title: t.text("errors.invalid_fields.title"), context: context, values: [
                    "message": .string(t.text("fieldErrors.\(error.code)")), "next": .string(t.text("forOther.next")), "code": "invalid_fields",
                    "alternatives": .list([]), "weekURL": "",
                    "signInURL": .string(layout.url(.service(service.id), language: context.language)), "signInText": .string(t.text("forOther.back")),
                ])
            }
        }
        if beneficiary == citizen.codiceFiscale { beneficiary = "" }
        let cookie = beneficiaryCookie(value: beneficiary, maxAge: beneficiary.isEmpty ? 0 : 3_600)
        if context.wantsJSON {
            var response = json(200, ["beneficiary": beneficiary, "week": week])
            response.headers.append(("Set-Cookie", cookie))
            return response
        }
        var response = HTTPResponse.redirect(week)
        response.headers.append(("Set-Cookie", cookie))
        return response
    }

    /// Queues the credentials message inside the registration's (or reset's) transaction, so an account never
    /// exists without its message and a crash loses neither. It goes to the verified contact only: the
    /// password then proves that contact (accounts from before this have none recorded: their email).
    func sendCredentials(_ connection: Connection, account: Account, password: String, language: String) throws {
        let recipient = account.verifiedContact.isEmpty ? account.email : account.verifiedContact
        guard !recipient.isEmpty else { return }
        // The password waits in a private file (removed once handed over), never in the database.
        let payload = ["codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)",
                       SecretFiles.payloadKey: try SecretFiles(database: store.database).store(password)]
        try Outbox.enqueue(connection, kind: .credentials, channel: NotificationChannel(contact: recipient), recipient: recipient, bookingID: nil,
                           language: language, payload: payload, at: clock(), limits: configuration.limits)
    }

    /// A registration for a codice fiscale that already has an account creates nothing and sends no password;
    /// the contact it gave is told so, with what to do: the forgotten-credentials form when the account is
    /// theirs, SPID/CIE (which disables it) when someone else registered their codice fiscale. The page's answer
    /// stays the same either way; the mailbox learns only what a password arriving or not would tell it.
    func tellAccountExists(_ connection: Connection, account: Account, recipient: String, language: String) throws {
        guard !recipient.isEmpty else { return }
        try Outbox.enqueue(connection, kind: .accountExists, channel: NotificationChannel(contact: recipient), recipient: recipient, bookingID: nil,
                           language: language, payload: ["codiceFiscale": account.codiceFiscale], at: clock(), limits: configuration.limits)
    }

    /// An account was just created for a codice fiscale that has bookings with other contacts: those people
    /// (likely its real holder) are told, so a squatted codice fiscale does not go unnoticed.
    func warnOtherContacts(_ connection: Connection, account: Account, language: String) throws {
        let settings = configuration.notifications
        let payload = ["codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)"]
        for (channel, recipient) in try AccountStore.otherContacts(connection, codiceFiscale: account.codiceFiscale, except: [account.email, account.phone])
        where channel == .email ? settings.email : settings.sms {
            try Outbox.enqueue(connection, kind: .accountCreated, channel: channel, recipient: recipient, bookingID: nil, language: language,
                               payload: payload, at: clock(), limits: configuration.limits)
        }
    }

    /// Queues the messages about a booking on every channel the comune uses, inside the change's transaction.
    func notify(_ kind: NotificationKind) -> (Connection, Booking) throws -> Void {
        Notifications.queue(kind, settings: configuration.notifications, limits: configuration.limits, now: clock())
    }
}

extension Application {
    /// The printable receipt, again: booking code and codice fiscale (or a booking the signed-in citizen may
    /// see), never published.
    func receipt(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let code = fields["code"] ?? ""
        let codiceFiscale = fields["codice_fiscale"] ?? ""
        let found: Booking?
        do {
            if codiceFiscale.isEmpty, let citizen = context.citizen {
                found = try store.booking(code: code, viewer: citizen.viewer)
            } else {
                if let limited = limitLookup(code: code, context) { return limited }
                found = try store.booking(code: code, codiceFiscale: codiceFiscale)
                if found == nil { lookupFailed(code: code, context) }
            }
        } catch {
            return failure(EndpointError(error), context)
        }
        guard let booking = found else { return failure(.bookingNotFound, context) }
        if context.wantsJSON { return json(200, ["booking": bookingJSON(booking)]) }
        let t = site.renderer.texts(context.language)
        return page("receipt", status: 200, title: "\(t.text("receipt.title")) \(booking.code)", context: context,
                    values: notifier.composer.receiptValues(booking, language: context.language), pageID: .cancel)
    }
}

extension Application {
    /// Code + codice fiscale (cancel, receipt) is a guess anyone can make: wrong pairs are limited per client
    /// address and per booking code, so neither many codes from one address nor one code from many
    /// addresses can be tried for long. Nil when this attempt may proceed.
    func limitLookup(code: String, _ context: RequestContext) -> HTTPResponse? {
        let now = Double(clock())
        let key = BookingStore.normalizedCode(code)
        guard !lookupLimiter.wouldAllow("address:" + context.clientKey, now: now) || !lookupLimiter.wouldAllow("code:" + key, now: now) else {
            return nil
        }
        var response = failure(.rateLimited, context)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    /// Counts a wrong code + codice fiscale pair against the address and the code.
    func lookupFailed(code: String, _ context: RequestContext) {
        let now = Double(clock())
        _ = lookupLimiter.allow("address:" + context.clientKey, now: now)
        _ = lookupLimiter.allow("code:" + BookingStore.normalizedCode(code), now: now)
    }
}
