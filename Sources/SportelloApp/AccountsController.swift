import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// The citizens' accounts (`EndpointRoute` accounts, login, logout, credentials, my-bookings, cancelMine):
/// registration, sign-in, forgotten credentials and "le mie prenotazioni". Every answer is a page for browsers
/// or JSON for `Accept: application/json`.
package final class AccountsController: ClientLimits, Sendable {
    /// The citizen session's cookie; `package` so the endpoint fuzzer (SportelloTesting) can sign its inputs in.
    package static let sessionCookie = "sportello_session"

    let store: BookingStore
    let accounts: AccountStore
    /// Who is signed in, and whether local accounts are allowed at all.
    let identities: CitizenIdentification
    /// Sign-in attempts per client address, on top of the per-account lock.
    let loginLimiter: RateLimiter
    /// Challenges for clients past their budget, when `limits.proofOfWork` is set.
    let proofOfWork: ProofOfWork?
    /// Turns what each write changed into page re-renders and delivery wake-ups.
    let afterCommit: AfterCommit
    let answers: EndpointAnswers
    let clock: @Sendable () -> Int64

    init(
        store: BookingStore, accounts: AccountStore, identities: CitizenIdentification, loginLimiter: RateLimiter,
        proofOfWork: ProofOfWork?, afterCommit: AfterCommit, answers: EndpointAnswers,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.store = store
        self.accounts = accounts
        self.identities = identities
        self.loginLimiter = loginLimiter
        self.proofOfWork = proofOfWork
        self.afterCommit = afterCommit
        self.answers = answers
        self.clock = clock
    }

    /// Sportello's own credentials, unless the comune has SPID/CIE and turned them off.
    var localAccountsAllowed: Bool { identities.localAccountsAllowed }

    private func sessionCookie(value: String, maxAge: Int64) -> String {
        cookie(Self.sessionCookie, value: value, path: layout.apiRoot + "/", maxAge: maxAge)
    }

    // MARK: Registration and credentials

    func register(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        let (person, errors) = validatePerson(formValues(fields), notesRequired: false)
        guard let person else { return registrationRefused(formValues(fields), errors: errors, context) }
        // The password goes to one contact only, so signing in with it proves that contact.
        let contact =
            configuration.notifications.email || !configuration.notifications.sms ? person.email : person.phone
        if let limited = limitAccountRequest(
            "register", contacts: [person.email, person.phone], context, fields: fields)
        {
            return limited
        }
        do {
            let registration = try accounts.register(
                person, verifiedContact: contact, now: clock(),
                address: context.clientAddress,
                language: context.language, messages: configuration.messagePolicy)
            if case .alreadyRegistered = registration.value { spendTheTimeOfSendingCredentials() }
            // Delivery starts once the answer is out: composing and handing over the mail while it is being
            // written would slow only the answers that sent something, and timing would tell again.
            afterCommit.apply(registration.change, deliveryDelay: 0.3)
        } catch {
            return failure(EndpointError(error), context)
        }
        // The same answer whether or not the codice fiscale already had an account.
        return notice("registered", status: 202, context: context)
    }

    /// A registration with wrong fields: the account page again, what was typed kept and each wrong field named
    /// in the summary (JSON clients get the codes per field).
    private func registrationRefused(
        _ values: [String: String], errors: [String: String], _ context: RequestContext
    ) -> HTTPResponse {
        if context.wantsJSON { return failure(.invalidFields, context, fieldErrors: errors) }
        answers.metrics.countRefusal(EndpointError.invalidFields.rawValue)
        let t = site.renderer.texts(context.language)
        return page(
            "account", status: EndpointError.invalidFields.status, title: t.text("account.title"), context: context,
            values: site.renderer.accountValues(
                language: context.language, registration: values, registrationErrors: errors),
            pageID: .account)
    }

    func resetCredentials(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        guard
            let limited = limitSignIn(context)
                ?? limitAccountRequest(
                    "reset", contacts: [fields["contatto"] ?? ""], codiceFiscale: codiceFiscale, context, fields: fields
                )
        else {
            do {
                let sent = try accounts.resetCredentials(
                    codiceFiscale: codiceFiscale, contact: fields["contatto"] ?? "", now: clock(),
                    address: context.clientAddress, language: context.language,
                    messages: configuration.messagePolicy)
                if !sent.value { spendTheTimeOfSendingCredentials() }
                afterCommit.apply(sent.change, deliveryDelay: 0.3)
            } catch {
                return failure(EndpointError(error), context)
            }
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

    /// `resume`: where a sign-in leads instead of "Le mie prenotazioni" (the slot chosen before it), if anywhere.
    func login(
        _ fields: FormFields, _ context: RequestContext, resume: (RequestContext) -> HTTPResponse? = { _ in nil }
    ) -> HTTPResponse {
        guard localAccountsAllowed else { return failure(.localAccountsOff, context) }
        if let limited = limitSignIn(context) { return limited }
        let codiceFiscale = (fields["codice_fiscale"] ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let account: Account
        let session: String
        do {
            (account, session) = try accounts.login(
                codiceFiscale: codiceFiscale, password: fields["password"] ?? "", now: clock(),
                address: context.clientKey)
        } catch {
            switch error {
            case .wrongCredentials: return loginRefused(fields, codiceFiscale: codiceFiscale, context)
            case .locked(let until):
                var response = failure(
                    .accountLocked, context,
                    messageArguments: ["time": LocalTime(minutes: RomeTime.local(until).minutes)?.description ?? ""])
                response.headers.append(("Retry-After", String(max(1, until - clock()))))
                return response
            case .database: return failure(EndpointError(error), context)
            }
        }
        var signedIn = context
        signedIn.citizen = Citizen(account: account)
        var response = resume(signedIn) ?? myBookings(FormFields(), signedIn)
        response.headers.append(("Set-Cookie", sessionCookie(value: session, maxAge: AccountStore.sessionSeconds)))
        return response
    }

    /// Wrong credentials: the sign-in form again with the typed codice fiscale (never the password) and the
    /// summary naming what to fix: an empty field, or else the password (which of the two was wrong is not told).
    /// JSON clients keep the plain refusal.
    private func loginRefused(
        _ fields: FormFields, codiceFiscale: String, _ context: RequestContext
    ) -> HTTPResponse {
        if context.wantsJSON { return failure(.wrongCredentials, context) }
        answers.metrics.countRefusal(EndpointError.wrongCredentials.rawValue)
        let t = site.renderer.texts(context.language)
        var messages: [String: String] = [:]
        if codiceFiscale.isEmpty { messages["codice_fiscale"] = FieldErrorSummary.message("required", t) }
        if (fields["password"] ?? "").isEmpty { messages["password"] = FieldErrorSummary.message("required", t) }
        if messages.isEmpty { messages["password"] = t.text("loginForm.wrongCredentials") }
        return page(
            "account", status: EndpointError.wrongCredentials.status, title: t.text("account.title"),
            context: context,
            values: site.renderer.accountValues(
                language: context.language, loginCodiceFiscale: String(codiceFiscale.prefix(16)),
                loginMessages: messages),
            pageID: .account)
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
        do { bookings = try store.bookings(visibleTo: citizen.viewer) } catch {
            return failure(EndpointError(error), context)
        }
        if context.wantsJSON {
            return json(
                200,
                [
                    "codiceFiscale": citizen.codiceFiscale,
                    "bookings": bookings.map { booking -> [String: Any] in
                        var value = bookingJSON(booking)
                        value["beneficiary"] = booking.person.codiceFiscale
                        value["presenter"] = booking.person.presenterCodiceFiscale ?? ""
                        return value
                    },
                ])
        }
        let t = site.renderer.texts(context.language)
        let now = clock()
        let rows: [TemplateValue] = bookings.map { booking in
            let service = site.catalogue.service(id: booking.slot.serviceID)
            let slot = service?.slot(startingAt: booking.slot.start)
            let past = booking.slotEnd <= now
            let onBehalf =
                booking.person.presenterCodiceFiscale == citizen.codiceFiscale
                && booking.person.codiceFiscale != citizen.codiceFiscale
            let presentedByOther = booking.person.presenterCodiceFiscale.map { $0 != citizen.codiceFiscale } ?? false
            return .object([
                "code": .string(booking.code),
                "service": .string(service?.text(for: context.language).name ?? booking.slot.serviceID),
                "when": .string(slot.map { whenText($0, t) } ?? ""),
                "state": .string(t.text("operator.stateNames.\(booking.state.rawValue)")),
                "past": .bool(past),
                "forWhom": .string(
                    onBehalf
                        ? t.format(
                            "myBookings.forOther",
                            [
                                "name": "\(booking.person.givenName) \(booking.person.familyName)",
                                "codiceFiscale": booking.person.codiceFiscale,
                            ]) : ""),
                "byWhom": .string(
                    presentedByOther
                        ? t.format(
                            "myBookings.byOther",
                            [
                                "name": booking.person.presenterName ?? "",
                                "codiceFiscale": booking.person.presenterCodiceFiscale ?? "",
                            ]) : ""),
                "canCancel": .bool(booking.state.isActive(slotStart: booking.slot.start, at: now)),
            ])
        }
        return page(
            "my-bookings", status: 200, title: t.text("myBookings.title"), context: context,
            values: [
                "who": .string(whoText(citizen, t)),
                "bookings": .list(rows), "hasBookings": .bool(!rows.isEmpty),
                "cancelAction": .string(layout.api(.cancelMine)), "logoutAction": .string(layout.api(.logout)),
                "moveAction": .string(layout.api(.moveMine)),
                "receiptAction": .string(layout.api(.receipts)),
                "weekURL": .string(layout.api(.myBookingsWeek) + "?lang=" + context.language),
                "signedInWithAccount": .bool(!citizen.certified),
                "catalogueURL": .string(layout.url(.catalogue, language: context.language)),
            ], pageID: .account)
    }

    /// Cancels a booking the citizen may act on (see `Citizen.viewer`).
    func cancelMine(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        if !EndpointAnswers.cancellationConfirmed(fields, context) {
            let found: Booking?
            do { found = try store.booking(code: fields["code"] ?? "", viewer: citizen.viewer) } catch {
                return failure(EndpointError(error), context)
            }
            if let found, found.state.isActive(slotStart: found.slot.start, at: clock()) {
                return answers.cancelConfirmation(
                    found, action: .cancelMine, hidden: [], backURL: layout.api(.myBookings), context: context)
            }
        }
        do {
            let cancelled = try store.cancel(
                code: fields["code"] ?? "", viewer: citizen.viewer, now: clock(),
                clientIP: context.clientAddress, messages: configuration.messagePolicy)
            afterCommit.apply(cancelled.change)
        } catch {
            return failure(EndpointError(error), context)
        }
        return myBookings(fields, context)
    }
}
