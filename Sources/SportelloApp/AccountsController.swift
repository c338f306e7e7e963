import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// The citizens' accounts (`EndpointRoute` accounts, login, logout, credentials, my-bookings, cancelMine):
/// registration, sign-in, forgotten credentials and "le mie prenotazioni". Every answer is a page for browsers
/// or JSON for `Accept: application/json`.
final class AccountsController: ClientLimits, Sendable {
    static let sessionCookie = "sportello_session"

    let store: BookingStore
    let accounts: AccountStore
    /// Who is signed in, and whether local accounts are allowed at all.
    let identities: CitizenIdentification
    /// Sign-in attempts per client address, on top of the per-account lock.
    let loginLimiter: RateLimiter
    /// Challenges for clients past their budget, when `limits.proofOfWork` is set.
    let proofOfWork: ProofOfWork?
    let queue: PublishQueue
    let notificationWorker: NotificationWorker
    let answers: EndpointAnswers
    let clock: @Sendable () -> Int64

    init(store: BookingStore, accounts: AccountStore, identities: CitizenIdentification, loginLimiter: RateLimiter,
         proofOfWork: ProofOfWork?, queue: PublishQueue, notificationWorker: NotificationWorker, answers: EndpointAnswers,
         clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.accounts = accounts
        self.identities = identities
        self.loginLimiter = loginLimiter
        self.proofOfWork = proofOfWork
        self.queue = queue
        self.notificationWorker = notificationWorker
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
            return failure(.storage, context)
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
                return failure(.storage, context)
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
            case .storage: return failure(.storage, context)
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
        do { bookings = try store.bookings(visibleTo: citizen.viewer) } catch { return failure(.storage, context) }
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
            "cancelAction": .string(layout.api(.cancelMine)), "logoutAction": .string(layout.api(.logout)),
            "receiptAction": .string(layout.api(.receipts)),
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
                                       within: notify("cancelled"))
        } catch {
            return failure(EndpointError(error), context)
        }
        notificationWorker.wake()
        queue.mark(SitePublisher.pages(touchedBy: booking.slot.serviceID, slotStart: booking.slot.start))
        return myBookings(fields, context)
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
        try Outbox.enqueue(connection, kind: "credentials", channel: recipient.contains("@") ? "email" : "sms", recipient: recipient, bookingID: nil,
                           language: language, payload: payload, at: clock(), limits: configuration.limits)
    }

    /// A registration for a codice fiscale that already has an account creates nothing and sends no password;
    /// the contact it gave is told so, with what to do: the forgotten-credentials form when the account is
    /// theirs, SPID/CIE (which disables it) when someone else registered their codice fiscale. The page's answer
    /// stays the same either way; the mailbox learns only what a password arriving or not would tell it.
    func tellAccountExists(_ connection: Connection, account: Account, recipient: String, language: String) throws {
        guard !recipient.isEmpty else { return }
        try Outbox.enqueue(connection, kind: "accountExists", channel: recipient.contains("@") ? "email" : "sms", recipient: recipient, bookingID: nil,
                           language: language, payload: ["codiceFiscale": account.codiceFiscale], at: clock(), limits: configuration.limits)
    }

    /// An account was just created for a codice fiscale that has bookings with other contacts: those people
    /// (likely its real holder) are told, so a squatted codice fiscale does not go unnoticed.
    func warnOtherContacts(_ connection: Connection, account: Account, language: String) throws {
        let settings = configuration.notifications
        let payload = ["codiceFiscale": account.codiceFiscale, "name": "\(account.givenName) \(account.familyName)"]
        for (channel, recipient) in try AccountStore.otherContacts(connection, codiceFiscale: account.codiceFiscale, except: [account.email, account.phone])
        where channel == "email" ? settings.email : settings.sms {
            try Outbox.enqueue(connection, kind: "accountCreated", channel: channel, recipient: recipient, bookingID: nil, language: language,
                               payload: payload, at: clock(), limits: configuration.limits)
        }
    }

}

