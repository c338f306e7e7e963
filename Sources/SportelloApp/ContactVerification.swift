import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// "Verified contact": where a comune (or a service) asks for it, a booking made without SPID/CIE is
/// confirmed only after the citizen types the one-time code sent to the email (or mobile) they gave, on the
/// summary step, within the hold. A plain form: no JavaScript needed.
extension Application {
    var contactCodes: ContactCodeStore { ContactCodeStore(database: store.database) }

    /// The contact a code must prove for this booking, or nil when none is needed: the step is off for the
    /// service, the citizen is certified, the contact on it is already the signed-in account's verified
    /// one, or no channel can carry a code.
    func contactToVerify(_ person: PersonDetails, service: Service, _ context: RequestContext) -> String? {
        guard service.verifyContact ?? configuration.booking.verifyContact else { return nil }
        if let citizen = context.citizen {
            if citizen.certified { return nil }
            let proved = citizen.verifiedContact.lowercased()
            if !proved.isEmpty && (person.email.lowercased() == proved || person.phone == proved) { return nil }
        }
        let settings = configuration.notifications
        if settings.email && !person.email.isEmpty { return person.email.lowercased() }
        if settings.sms && !person.phone.isEmpty { return person.phone }
        return nil
    }

    /// Sends the code (unless one for this contact is out already; `resend` asks for a new one) and tells
    /// what happened, for the summary page.
    func sendContactCode(hold: Hold, contact: String, resend: Bool,
                         _ context: RequestContext) throws(BookingError) -> (ContactCodeStore.Issue, String) {
        let t = site.renderer.texts(context.language)
        let channel = NotificationChannel(contact: contact)
        let issue = try contactCodes.issue(holdToken: hold.token, contact: contact, now: clock(), resend: resend) { connection, code in
            // Under the per-recipient caps and the SMS countries like every other message: changing the contact on
            // the same hold skips the resend cool-down, so without them one client could send codes without end.
            try Outbox.enqueue(connection, kind: .contactCode, channel: channel, recipient: contact, bookingID: nil, language: context.language,
                               payload: ["code": code], at: clock(), limits: configuration.limits)
        }
        if issue == .sent { notificationWorker.wake() }
        if case .tooSoon(let seconds) = issue {
            return (issue, t.format("verification.tooSoon", ["contact": contact, "seconds": String(seconds)]))
        }
        if case .tooSoonForNewContact(let seconds) = issue {
            return (issue, t.format("verification.tooSoonNewContact", ["contact": contact, "seconds": String(seconds)]))
        }
        return (issue, t.format(channel == .email ? "verification.sentEmail" : "verification.sentSMS", ["contact": contact]))
    }

    /// On "Invia": nil when the contact is proved (or needs no proof); otherwise the answer to give, after
    /// releasing the hold when too many codes were wrong.
    func checkContactCode(_ fields: FormFields, person: PersonDetails, hold: Hold, service: Service, slot: Slot,
                          _ context: RequestContext) -> (proof: BookingProof?, refusal: HTTPResponse?) {
        guard hold.bookingID == nil, let contact = contactToVerify(person, service: service, context) else { return (nil, nil) }
        let result: ContactCodeStore.Check
        do { result = try contactCodes.check(holdToken: hold.token, contact: contact, code: fields["verification_code"] ?? "") } catch {
            return (nil, failure(EndpointError(error), context))
        }
        switch result {
        case .verified:
            return (.contact(contact), nil)
        case .exhausted:
            // The answer is the same either way; a hold the database failed to release runs out on its own.
            do { try store.releaseHold(token: hold.token, now: clock(), clientIP: context.clientAddress) } catch {
                Log.error("hold_release_failed", ["error": .text("\(error)")])
            }
            queue.mark(SitePublisher.pages(touchedBy: service.id, slotStart: slot.startInstant))
            return (nil, failure(.verificationExhausted, context, service: service, near: slot))
        case .wrong(let remaining):
            if context.wantsJSON { return (nil, failure(.verificationFailed, context, fieldErrors: ["verification_code": "wrong_code"])) }
            let t = site.renderer.texts(context.language)
            var page = summaryPage(service: service, slot: slot, hold: hold, values: summaryValues(person, beneficiary: lockedValues(formValues(fields), context)["beneficiary"] ?? ""), context: context,
                                   verification: t.format("verification.sentTo", ["contact": contact]),
                                   verificationError: t.format("verification.wrong", ["remaining": String(remaining)]))
            page.status = EndpointError.verificationFailed.status
            return (nil, page)
        }
    }

    /// The summary's values as they will be stored: trimmed, NFC, canonical.
    func summaryValues(_ person: PersonDetails, beneficiary: String) -> [String: String] {
        ["nome": person.givenName, "cognome": person.familyName, "codice_fiscale": person.codiceFiscale, "email": person.email,
         "cellulare": person.phone, "note": person.notes ?? "", "beneficiary": beneficiary]
    }
}

extension Application {
    /// Where the SPID/CIE gateway sends the citizen back (a GET, as gateways redirect): the form of the hold
    /// they left, now with their certified details filled in and locked. It only shows; every change stays a
    /// POST.
    func resumeHold(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        let fields: FormFields, signedIn: RequestContext
        do { (fields, signedIn) = try returning(request, context) } catch {
            return failure(EndpointError(error), context)
        }
        let found: Hold?
        do {
            found = try fields["hold"].flatMap { token throws(BookingError) in token.isEmpty ? nil : try store.hold(token: token) }
        } catch {
            return failure(EndpointError(error), signedIn)
        }
        guard let hold = found, let service = site.catalogue.service(id: hold.slot.serviceID), let slot = service.slot(startingAt: hold.slot.start) else {
            return failure(.holdNotFound, signedIn)
        }
        if !hold.isActive(at: clock()) { return failure(hold.released ? .holdReleased : .holdExpired, signedIn, service: service, near: slot) }
        return formPage(service: service, slot: slot, hold: hold, values: lockedValues([:], signedIn), errors: [:], context: signedIn, status: 200)
    }

    /// Where the gateway sends back a citizen who signed in on the sign-in page: "Le mie prenotazioni" at once,
    /// rather than the same static page with no sign of the sign-in.
    func resumeMyBookings(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        do { return myBookings(FormFields(), try returning(request, context).1) } catch {
            return failure(EndpointError(error), context)
        }
    }

    /// A GET coming back from the gateway: its query (with the page's language) and the identity it brings.
    private func returning(_ request: HTTPRequest,
                           _ context: RequestContext) throws(DatabaseError) -> (FormFields, RequestContext) {
        let fields = (try? FormDecoder.decode(query: request.query ?? "")) ?? FormFields()
        var signedIn = context
        if let language = fields["lang"], configuration.comune.languages.contains(language) { signedIn.language = language }
        signedIn.citizen = try identify(request)
        takeOverLocalAccount(of: signedIn.citizen, signedIn)
        return (fields, signedIn)
    }
}
