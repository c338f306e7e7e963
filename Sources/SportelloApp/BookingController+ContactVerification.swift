import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// "Verified contact": where a comune (or a service) asks for it, a booking made without SPID/CIE is
/// confirmed only after the citizen types the one-time code sent to the email (or mobile) they gave, on the
/// summary step, within the hold. A plain form: no JavaScript needed.
extension BookingController {
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
    func sendContactCode(
        hold: Hold, contact: String, resend: Bool,
        _ context: RequestContext
    ) throws(BookingError) -> (ContactCodeStore.Issue, String) {
        let t = site.renderer.texts(context.language)
        let channel = NotificationChannel(contact: contact)
        let issued = try contactCodes.issue(
            holdToken: hold.token, contact: contact, now: clock(), resend: resend,
            language: context.language, limits: configuration.limits)
        afterCommit.apply(issued.change)
        let issue = issued.value
        if case .tooSoon(let seconds) = issue {
            return (
                issue,
                t.format("verification.tooSoon", count: Int(seconds), ["contact": contact, "seconds": String(seconds)])
            )
        }
        if case .tooSoonForNewContact(let seconds) = issue {
            return (
                issue,
                t.format(
                    "verification.tooSoonNewContact", count: Int(seconds),
                    ["contact": contact, "seconds": String(seconds)])
            )
        }
        return (
            issue, t.format(channel == .email ? "verification.sentEmail" : "verification.sentSMS", ["contact": contact])
        )
    }

    /// On "Invia": nil when the contact is proved (or needs no proof); otherwise the answer to give, after
    /// releasing the hold when too many codes were wrong.
    func checkContactCode(
        _ fields: FormFields, person: PersonDetails, hold: Hold, service: Service, slot: Slot,
        _ context: RequestContext
    ) -> (proof: BookingProof?, refusal: HTTPResponse?) {
        guard hold.bookingID == nil, let contact = contactToVerify(person, service: service, context) else {
            return (nil, nil)
        }
        let result: ContactCodeStore.Check
        do {
            result = try contactCodes.check(
                holdToken: hold.token, contact: contact, code: fields["verification_code"] ?? "")
        } catch {
            return (nil, failure(EndpointError(error), context))
        }
        switch result {
        case .verified:
            return (.contact(contact), nil)
        case .exhausted:
            // The answer is the same either way; a hold the database failed to release runs out on its own.
            do {
                let released = try store.releaseHold(token: hold.token, now: clock(), clientIP: context.clientAddress)
                afterCommit.apply(released.change)
            } catch {
                Log.error("hold_release_failed", ["error": .text("\(error)")])
            }
            return (nil, failure(.verificationExhausted, context, service: service, near: slot))
        case .wrong(let remaining):
            if context.wantsJSON {
                return (nil, failure(.verificationFailed, context, fieldErrors: ["verification_code": "wrong_code"]))
            }
            let t = site.renderer.texts(context.language)
            var page = summaryPage(
                service: service, slot: slot, hold: hold,
                values: summaryValues(
                    person, beneficiary: lockedValues(formValues(fields), context)["beneficiary"] ?? ""),
                context: context,
                verification: t.format("verification.sentTo", ["contact": contact]),
                verificationError: t.format("verification.wrong", ["remaining": String(remaining)]))
            page.status = EndpointError.verificationFailed.status
            return (nil, page)
        }
    }

    /// The summary's values as they will be stored: trimmed, NFC, canonical.
    func summaryValues(_ person: PersonDetails, beneficiary: String) -> [String: String] {
        var values = [
            "nome": person.givenName, "cognome": person.familyName, "codice_fiscale": person.codiceFiscale,
            "email": person.email,
            "cellulare": person.phone, "note": person.notes ?? "", "beneficiary": beneficiary,
        ]
        for (id, answer) in person.extraFields { values["extra-\(id)"] = answer }
        return values
    }
}

extension BookingController {
    /// Where the SPID/CIE gateway sends the citizen back (a GET, as gateways redirect): the form of the hold
    /// they left, now with their certified details filled in and locked. It only shows; every change stays a
    /// POST. `fields`: the query; `signedIn`: with the identity the gateway brings (the router's GET steps).
    func resumeHold(_ fields: FormFields, _ signedIn: RequestContext) -> HTTPResponse {
        let found: Hold?
        do {
            found = try fields["hold"].flatMap { token throws(BookingError) in
                token.isEmpty ? nil : try store.hold(token: token)
            }
        } catch {
            return failure(EndpointError(error), signedIn)
        }
        guard let hold = found, let service = site.catalogue.service(id: hold.slot.serviceID),
            let slot = service.slot(startingAt: hold.slot.start)
        else {
            return failure(.holdNotFound, signedIn)
        }
        if !hold.isActive(at: clock()) {
            return failure(hold.released ? .holdReleased : .holdExpired, signedIn, service: service, near: slot)
        }
        return formPage(
            service: service, slot: slot, hold: hold, values: lockedValues([:], signedIn), errors: [:],
            context: signedIn, status: 200)
    }
}
