import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// The citizen's booking (`EndpointRoute` holds, releaseHold, resumeHold, review, bookings, cancellations,
/// chooseBeneficiary, beneficiary, receipts): hold → form → riepilogo → confirmation, and cancellation. Each
/// answers HTML for browsers and JSON for `Accept: application/json`.
final class BookingController: ClientLimits, Sendable {
    let store: BookingStore
    /// Turns what each write changed into page re-renders and delivery wake-ups.
    let afterCommit: AfterCommit
    /// The receipt's values (`Composer.receiptValues`).
    let notifier: Notifier
    /// Wrong booking code + codice fiscale pairs, per client address and per code (see `limitLookup`).
    let lookupLimiter: RateLimiter
    /// Challenges for clients past their budget, when `limits.proofOfWork` is set.
    let proofOfWork: ProofOfWork?
    let answers: EndpointAnswers
    let clock: @Sendable () -> Int64
    /// The comune's booking policy, made once: its office recipients walk the whole service tree, which every
    /// confirmation used to do again.
    let bookingPolicy: BookingPolicy

    init(
        store: BookingStore, afterCommit: AfterCommit, notifier: Notifier,
        lookupLimiter: RateLimiter, proofOfWork: ProofOfWork?, answers: EndpointAnswers,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.store = store
        self.afterCommit = afterCommit
        self.notifier = notifier
        self.lookupLimiter = lookupLimiter
        self.proofOfWork = proofOfWork
        self.answers = answers
        self.clock = clock
        bookingPolicy = answers.site.configuration.bookingPolicy
    }

    func placeHold(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        if configuration.booking.requireAccount && context.citizen == nil { return failure(.signInRequired, context) }
        guard let service = fields["service"].flatMap({ site.catalogue.publicService(id: $0) }) else {
            return failure(.unknownService, context)
        }
        guard let start = fields["slot"].flatMap({ Int64($0) }) else {
            return failure(.unknownSlot, context, service: service)
        }
        let now = clock()
        // Before any date math: an instant no page of the service can offer is refused at once, whatever its size.
        guard
            service.requestableInstants(now: now, weeksPublished: configuration.booking.weeksPublished).contains(start)
        else {
            let lastDay = service.lastBookableDay(today: RomeTime.local(now).date)
            return failure(
                .slotOutOfWindow, context, service: service,
                messageArguments: ["date": site.renderer.texts(context.language).longDate(lastDay)])
        }
        guard let slot = service.slot(startingAt: start) else {
            return failure(.unknownSlot, context, service: service)
        }
        switch service.availability(of: slot, occupancy: .empty, now: now).state {
        case .past: return failure(.slotPast, context, service: service, near: slot)
        case .notYetBookable: return failure(.slotNotYetBookable, context, service: service, near: slot)
        default: break
        }
        if let citizen = context.citizen, context.chosenBeneficiary == nil,
            let refusal = personLimitRefusal(
                codiceFiscale: citizen.codiceFiscale, service: service, proof: citizenProof(citizen), context)
        {
            return refusal
        }
        let hold: Hold
        let session = context.visitor ?? Tokens.hex128()
        do {
            let placed = try store.placeHold(
                slot: SlotRef(serviceID: service.id, start: slot.startInstant), capacity: service.capacity, now: now,
                expiresAt: now + Int64(configuration.booking.holdMinutes) * 60, clientIP: context.clientAddress,
                client: holdClient(context, session: session, proven: proven(fields, context)),
                desk: site.catalogue.deskClaim(of: service, slot: slot))
            hold = placed.value
            afterCommit.apply(placed.change)
        } catch {
            return limitFailure(error, context, retry: (.holds, fields))
                ?? failure(EndpointError(error), context, service: service, near: slot)
        }
        // Chosen on the service page, before the slot: the form starts bound to that person.
        var values = carriedValues(fields)
        if context.citizen != nil, let chosen = context.chosenBeneficiary,
            let beneficiary = try? FieldValidator.codiceFiscale(chosen).value
        {
            values["beneficiary"] = beneficiary
        }
        var response =
            context.wantsJSON
            ? json(201, ["hold": holdJSON(hold, slot: slot)])
            : formPage(
                service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:],
                context: context, status: 200)
        if context.visitor == nil { response.headers.append(("Set-Cookie", visitorCookie(session))) }
        return response
    }

    func releaseHold(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let token = fields["hold"], !token.isEmpty else { return failure(.holdNotFound, context) }
        let hold: Hold
        do {
            let released = try store.releaseHold(token: token, now: clock(), clientIP: context.clientAddress)
            hold = released.value
            afterCommit.apply(released.change)
        } catch {
            return failure(EndpointError(error), context)
        }
        if context.wantsJSON { return json(200, ["released": true]) }
        let monday = RomeTime.local(hold.slot.start).date.mondayOfWeek
        return .redirect(layout.url(.week(hold.slot.serviceID, monday: monday), language: context.language))
    }

    /// "Continua" on the form: validates, then shows everything on one screen before "Invia".
    func review(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        switch renewRunOutHold(fields, context) {
        case .unchanged: return review(fields, context, notice: nil)
        case .renewed(let renewed, let notice): return review(renewed, context, notice: notice)
        case .lost(let answer): return answer
        }
    }

    /// `review` on a hold that is good; `notice`: it was just placed again (see `renewRunOutHold`).
    private func review(_ fields: FormFields, _ context: RequestContext, notice: String?) -> HTTPResponse {
        let (hold, service, slot, problem) = activeHold(fields, context)
        if let problem { return problem }
        guard let hold, let service, let slot else { return failure(.holdNotFound, context) }
        let values = lockedValues(formValues(fields), context)
        let (person, errors) = validate(values, service: service, context: context)
        if fields["action"] == "edit" || person == nil {
            return formPage(
                service: service, slot: slot, hold: hold, values: values, errors: errors, context: context,
                status: person == nil && fields["action"] != "edit" ? 422 : 200, notice: notice)
        }
        guard let person else { return failure(.invalidFields, context) }
        if let refusal = personLimitRefusal(
            codiceFiscale: person.codiceFiscale, service: service, proof: proof(of: person, context), context)
        {
            // The place goes back at once: this person cannot book it.
            if let released = try? store.releaseHold(token: hold.token, now: clock(), clientIP: context.clientAddress) {
                afterCommit.apply(released.change)
            }
            return refusal
        }
        // Where the contact must prove itself, the code goes out now and is typed on the summary.
        var verification: String?
        if let contact = contactToVerify(person, service: service, context) {
            let issue: ContactCodeStore.Issue
            let message: String
            do {
                (issue, message) = try sendContactCode(
                    hold: hold, contact: contact, resend: fields["resend"] == "1", context)
            } catch {
                return failure(EndpointError(error), context)
            }
            verification = message
            if context.wantsJSON {
                // No code is out for a contact changed within the cool-down: say when one can be asked for.
                var answer: [String: Any] = ["sentTo": contact, "message": message]
                if case .tooSoonForNewContact(let seconds) = issue {
                    answer["sentTo"] = ""
                    answer["retryAfter"] = seconds
                }
                return json(200, ["hold": holdJSON(hold, slot: slot), "valid": true, "verification": answer])
            }
        }
        if context.wantsJSON { return json(200, ["hold": holdJSON(hold, slot: slot), "valid": true]) }
        // The summary shows (and sends on) the values as they will be stored: trimmed, NFC, canonical.
        return summaryPage(
            service: service, slot: slot, hold: hold,
            values: summaryValues(person, beneficiary: values["beneficiary"] ?? ""),
            context: context, verification: verification, notice: notice)
    }

    /// "Invia": confirms the hold. Sending it twice gives the same booking.
    func confirm(_ submitted: FormFields, _ context: RequestContext) -> HTTPResponse {
        var fields = submitted
        switch renewRunOutHold(submitted, context) {
        case .unchanged: break
        // A code sent for the old hold does not prove the new one: the summary again sends one, and says why.
        case .renewed(let renewed, let notice) where verifiesContact(renewed, context):
            return review(renewed, context, notice: notice)
        case .renewed(let renewed, _): fields = renewed
        case .lost(let answer): return answer
        }
        guard let token = fields["hold"], !token.isEmpty else { return failure(.holdNotFound, context) }
        let existing: Hold?
        do { existing = try store.hold(token: token) } catch { return failure(EndpointError(error), context) }
        guard let existing, let service = site.catalogue.service(id: existing.slot.serviceID),
            let slot = service.slot(startingAt: existing.slot.start)
        else { return failure(.holdNotFound, context) }
        if configuration.booking.requireAccount && context.citizen == nil { return failure(.signInRequired, context) }
        let values = lockedValues(formValues(fields), context)
        let (person, errors) = validate(values, service: service, context: context)
        guard let person else {
            if context.wantsJSON { return failure(.invalidFields, context, fieldErrors: errors) }
            return formPage(
                service: service, slot: slot, hold: existing, values: values, errors: errors, context: context,
                status: 422)
        }
        let (codeProof, refusal) = checkContactCode(
            fields, person: person, hold: existing, service: service, slot: slot, context)
        if let refusal { return refusal }
        let booking: Booking
        do {
            let confirmed = try store.confirm(
                holdToken: token, person: person, slotEnd: slot.endInstant, now: clock(),
                clientIP: context.clientAddress, policy: bookingPolicy,
                caps: bookingCaps(person, context, fields), language: context.language,
                accountID: context.citizen?.accountID,
                proof: codeProof ?? proof(of: person, context), approval: service.approval)
            booking = confirmed.value
            afterCommit.apply(confirmed.change)
        } catch {
            if let limited = limitFailure(error, context, retry: (.bookings, fields)) { return limited }
            if error == .personLimitReached {
                return personLimitAnswer(codiceFiscale: person.codiceFiscale, service: service, context)
            }
            if case .noShowBlocked(let until) = error {
                let t = site.renderer.texts(context.language)
                return failure(
                    .noShowBlocked, context, messageArguments: ["date": t.longDate(RomeTime.local(until).date)])
            }
            return failure(EndpointError(error), context, service: service, near: slot)
        }
        if context.wantsJSON { return json(201, ["booking": bookingJSON(booking)]) }
        return confirmationPage(booking: booking, service: service, slot: slot, context: context)
    }

    func cancel(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let code = fields["code"], !code.isEmpty, let codiceFiscale = fields["codice_fiscale"],
            !codiceFiscale.isEmpty
        else {
            return lookupRefused(fields, form: .cancel, context)
        }
        if let limited = limitLookup(code: code, context) { return limited }
        // First what would be cancelled, and a button to confirm; a booking no longer active goes on to the
        // store's own refusal below.
        if !EndpointAnswers.cancellationConfirmed(fields, context) {
            let found: Booking?
            do { found = try store.booking(code: code, codiceFiscale: codiceFiscale) } catch {
                return failure(EndpointError(error), context)
            }
            if let found, found.state.isActive(slotStart: found.slot.start, at: clock()) {
                return answers.cancelConfirmation(
                    found, action: .cancellations, hidden: [("codice_fiscale", codiceFiscale)],
                    backURL: "\(layout.url(.catalogue, language: context.language))annulla/", context: context)
            }
        }
        let booking: Booking
        do {
            let cancelled = try store.cancel(
                code: code, codiceFiscale: codiceFiscale, now: clock(),
                clientIP: context.clientAddress,
                messages: bookingPolicy.messages)
            booking = cancelled.value
            afterCommit.apply(cancelled.change)
        } catch {
            if error == .bookingNotFound { lookupFailed(code: code, context) }
            return failure(EndpointError(error), context)
        }
        if context.wantsJSON { return json(200, ["booking": bookingJSON(booking)]) }
        guard let service = site.catalogue.service(id: booking.slot.serviceID),
            let slot = service.slot(startingAt: booking.slot.start)
        else {
            return failure(.bookingNotFound, context)
        }
        let t = site.renderer.texts(context.language)
        return page(
            "cancelled", status: 200, title: t.text("cancelled.title"), context: context,
            values: [
                "service": .object(site.renderer.serviceValue(service, language: context.language)),
                "when": .string(whenText(slot, t)),
                "weekURL": .string(
                    layout.url(.week(service.id, monday: slot.date.mondayOfWeek), language: context.language)),
            ])
    }

    /// What stands behind a booking about to be made: the certified person, or an account whose verified
    /// contact is on it, booking for themselves; otherwise nothing but what was typed. (A booking for someone
    /// else proves the presenter, not the beneficiary: it counts by the beneficiary's codice fiscale.)
    func proof(of person: PersonDetails, _ context: RequestContext) -> BookingProof {
        guard let citizen = context.citizen, person.codiceFiscale == citizen.codiceFiscale else { return .none }
        if citizen.certified { return .certified }
        let contact = citizen.verifiedContact.lowercased()
        if !contact.isEmpty && (person.email.lowercased() == contact || person.phone == contact) {
            return .contact(contact)
        }
        return .none
    }

    // MARK: Steps shared by review and confirm

    private func activeHold(_ fields: FormFields, _ context: RequestContext) -> (Hold?, Service?, Slot?, HTTPResponse?)
    {
        guard let token = fields["hold"], !token.isEmpty else {
            return (nil, nil, nil, failure(.holdNotFound, context))
        }
        let hold: Hold?
        do { hold = try store.hold(token: token) } catch {
            return (nil, nil, nil, failure(EndpointError(error), context))
        }
        guard let hold, let service = site.catalogue.service(id: hold.slot.serviceID),
            let slot = service.slot(startingAt: hold.slot.start)
        else {
            return (nil, nil, nil, failure(.holdNotFound, context))
        }
        if hold.released { return (nil, nil, nil, failure(.holdReleased, context, service: service, near: slot)) }
        if hold.hasRunOut(at: clock()) {
            return (nil, nil, nil, failure(.holdExpired, context, service: service, near: slot))
        }
        return (hold, service, slot, nil)
    }

    /// The values the signed-in citizen's identity fixes, whatever the form sent: their own names and codice
    /// fiscale, or the beneficiary's codice fiscale when booking for someone else. Contacts start as theirs.
    func lockedValues(_ submitted: [String: String], _ context: RequestContext) -> [String: String] {
        var values = submitted
        guard let citizen = context.citizen else {
            values["beneficiary"] = ""
            return values
        }
        // Naming oneself as the beneficiary is booking for oneself: the identity's names stay.
        if values["beneficiary"].map({ $0.trimmingCharacters(in: .whitespaces).uppercased() }) == citizen.codiceFiscale
        {
            values["beneficiary"] = ""
        }
        if let beneficiary = values["beneficiary"], !beneficiary.isEmpty {
            values["codice_fiscale"] = beneficiary
        } else {
            values["nome"] = citizen.givenName
            values["cognome"] = citizen.familyName
            values["codice_fiscale"] = citizen.codiceFiscale
        }
        if (values["email"] ?? "").isEmpty { values["email"] = citizen.email }
        if (values["cellulare"] ?? "").isEmpty { values["cellulare"] = citizen.phone }
        return values
    }

    /// The booking's anagrafica: the beneficiary's, with the signed-in presenter recorded when they differ.
    func validate(
        _ values: [String: String], service: Service, context: RequestContext
    ) -> (PersonDetails?, [String: String]) {
        var (person, errors) = validatePerson(values, notesRequired: service.reasonRequired)
        let answers = validateExtraFields(values, service: service, errors: &errors)
        person?.extraFields = answers
        if !errors.isEmpty { person = nil }
        if let citizen = context.citizen, person != nil, person?.codiceFiscale != citizen.codiceFiscale {
            person?.presenterCodiceFiscale = citizen.codiceFiscale
            person?.presenterName = citizen.fullName
            person?.presenterContact = presenterContact(citizen)
        }
        return (person, errors)
    }

    /// Where the presenter's copy goes: the contact their password went to, else their certified contact on a
    /// channel the comune uses (a SPID identity may come with a mobile and no email, and the other way round).
    func presenterContact(_ citizen: Citizen) -> String {
        if !citizen.verifiedContact.isEmpty { return citizen.verifiedContact }
        let settings = configuration.notifications
        if settings.email && !citizen.email.isEmpty { return citizen.email }
        if settings.sms && !citizen.phone.isEmpty { return citizen.phone }
        return citizen.email.isEmpty ? citizen.phone : citizen.email
    }
}
