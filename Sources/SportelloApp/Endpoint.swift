import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The booking steps: hold → form → riepilogo → confirmation, and cancellation. Each answers HTML for
/// browsers and JSON for `Accept: application/json`.
extension Application {
    func placeHold(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        if configuration.booking.requireAccount && context.citizen == nil { return failure(.signInRequired, context) }
        guard let service = fields["service"].flatMap({ site.catalogue.service(id: $0) }) else { return failure(.unknownService, context) }
        guard let start = fields["slot"].flatMap({ Int64($0) }) else { return failure(.unknownSlot, context, service: service) }
        let now = clock()
        // Before any date math: an instant no page of the service can offer is refused at once, whatever its size.
        guard service.requestableInstants(now: now, weeksPublished: configuration.booking.weeksPublished).contains(start) else {
            let lastDay = service.lastBookableDay(today: RomeTime.local(now).date)
            return failure(.slotOutOfWindow, context, service: service,
                           messageArguments: ["date": site.renderer.texts(context.language).longDate(lastDay)])
        }
        guard let slot = service.slot(startingAt: start) else { return failure(.unknownSlot, context, service: service) }
        switch service.availability(of: slot, occupancy: .empty, now: now).state {
        case .past: return failure(.slotPast, context, service: service, near: slot)
        case .notYetBookable: return failure(.slotNotYetBookable, context, service: service, near: slot)
        default: break
        }
        let hold: Hold
        let session = context.visitor ?? Tokens.hex128()
        do {
            let placed = try store.placeHold(slot: SlotRef(serviceID: service.id, start: slot.startInstant), capacity: service.capacity, now: now,
                                             expiresAt: now + Int64(configuration.booking.holdMinutes) * 60, clientIP: context.clientAddress,
                                             client: holdClient(context, session: session, proven: proven(fields, context)))
            hold = placed.hold
            for previous in placed.released { queue.mark(SitePublisher.pages(touchedBy: previous.serviceID, slotStart: previous.start)) }
        } catch {
            return limitFailure(error, context, retry: ("holds", fields)) ?? failure(EndpointError(error), context, service: service, near: slot)
        }
        queue.mark(SitePublisher.pages(touchedBy: service.id, slotStart: slot.startInstant))
        // Chosen on the service page, before the slot: the form starts bound to that person.
        var values: [String: String] = [:]
        if context.citizen != nil, let chosen = context.chosenBeneficiary, let beneficiary = try? FieldValidator.codiceFiscale(chosen).value {
            values["beneficiary"] = beneficiary
        }
        var response = context.wantsJSON ? json(201, ["hold": holdJSON(hold, slot: slot)])
            : formPage(service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:], context: context, status: 200)
        if context.visitor == nil { response.headers.append(("Set-Cookie", visitorCookie(session))) }
        return response
    }

    func releaseHold(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let token = fields["hold"], !token.isEmpty else { return failure(.holdNotFound, context) }
        let hold: Hold
        do {
            hold = try store.releaseHold(token: token, now: clock(), clientIP: context.clientAddress)
        } catch {
            return failure(EndpointError(error), context)
        }
        queue.mark(SitePublisher.pages(touchedBy: hold.slot.serviceID, slotStart: hold.slot.start))
        if context.wantsJSON { return json(200, ["released": true]) }
        let monday = RomeTime.local(hold.slot.start).date.mondayOfWeek
        return .redirect(layout.url(.week(hold.slot.serviceID, monday: monday), language: context.language))
    }

    /// "Continua" on the form: validates, then shows everything on one screen before "Invia".
    func review(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let (hold, service, slot, problem) = activeHold(fields, context)
        if let problem { return problem }
        guard let hold, let service, let slot else { return failure(.holdNotFound, context) }
        let values = lockedValues(formValues(fields), context)
        let (person, errors) = validate(values, service: service, context: context)
        if fields["action"] == "edit" || person == nil {
            return formPage(service: service, slot: slot, hold: hold, values: values, errors: errors, context: context,
                            status: person == nil && fields["action"] != "edit" ? 422 : 200)
        }
        guard let person else { return failure(.invalidFields, context) }
        // Where the contact must prove itself, the code goes out now and is typed on the summary.
        var verification: String?
        if let contact = contactToVerify(person, service: service, context) {
            let issue: ContactCodeStore.Issue, message: String
            do {
                (issue, message) = try sendContactCode(hold: hold, contact: contact, resend: fields["resend"] == "1", context)
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
        return summaryPage(service: service, slot: slot, hold: hold, values: summaryValues(person, beneficiary: values["beneficiary"] ?? ""),
                           context: context, verification: verification)
    }

    /// "Invia": confirms the hold. Sending it twice gives the same booking.
    func confirm(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let token = fields["hold"], !token.isEmpty else { return failure(.holdNotFound, context) }
        let existing: Hold?
        do { existing = try store.hold(token: token) } catch { return failure(EndpointError(error), context) }
        guard let existing, let service = site.catalogue.service(id: existing.slot.serviceID),
              let slot = service.slot(startingAt: existing.slot.start) else { return failure(.holdNotFound, context) }
        if configuration.booking.requireAccount && context.citizen == nil { return failure(.signInRequired, context) }
        let values = lockedValues(formValues(fields), context)
        let (person, errors) = validate(values, service: service, context: context)
        guard let person else {
            if context.wantsJSON { return failure(.invalidFields, context, fieldErrors: errors) }
            return formPage(service: service, slot: slot, hold: existing, values: values, errors: errors, context: context, status: 422)
        }
        let (codeProof, refusal) = checkContactCode(fields, person: person, hold: existing, service: service, slot: slot, context)
        if let refusal { return refusal }
        let booking: Booking
        do {
            booking = try store.confirm(holdToken: token, person: person, slotEnd: slot.endInstant, now: clock(), clientIP: context.clientAddress,
                                        maxActiveBookingsPerPerson: configuration.booking.maxActiveBookingsPerPerson,
                                        noShowPolicy: configuration.booking.noShowPolicy, language: context.language,
                                        accountID: context.citizen?.accountID, proof: codeProof ?? proof(of: person, context),
                                        within: BookingStore.counting(bookingCaps(person, context, fields), now: clock(), then: notify(.confirmed)))
        } catch {
            if let limited = limitFailure(error, context, retry: ("bookings", fields)) { return limited }
            if case .noShowBlocked(let until) = error {
                let t = site.renderer.texts(context.language)
                return failure(.noShowBlocked, context, messageArguments: ["date": t.longDate(RomeTime.local(until).date)])
            }
            return failure(EndpointError(error), context, service: service, near: slot)
        }
        queue.mark(SitePublisher.pages(touchedBy: service.id, slotStart: slot.startInstant))
        notificationWorker.wake()
        if context.wantsJSON { return json(201, ["booking": bookingJSON(booking)]) }
        return confirmationPage(booking: booking, service: service, slot: slot, context: context)
    }

    func cancel(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let code = fields["code"], !code.isEmpty, let codiceFiscale = fields["codice_fiscale"], !codiceFiscale.isEmpty else {
            return failure(.invalidFields, context, fieldErrors: [:])
        }
        if let limited = limitLookup(code: code, context) { return limited }
        let booking: Booking
        do {
            booking = try store.cancel(code: code, codiceFiscale: codiceFiscale, now: clock(), clientIP: context.clientAddress,
                                       within: notify(.cancelled))
        } catch {
            if error == .bookingNotFound { lookupFailed(code: code, context) }
            return failure(EndpointError(error), context)
        }
        notificationWorker.wake()
        queue.mark(SitePublisher.pages(touchedBy: booking.slot.serviceID, slotStart: booking.slot.start))
        if context.wantsJSON { return json(200, ["booking": bookingJSON(booking)]) }
        guard let service = site.catalogue.service(id: booking.slot.serviceID), let slot = service.slot(startingAt: booking.slot.start) else {
            return failure(.bookingNotFound, context)
        }
        let t = site.renderer.texts(context.language)
        return page("cancelled", status: 200, title: t.text("cancelled.title"), context: context, values: [
            "service": .object(site.renderer.serviceValue(service, language: context.language)),
            "when": .string(whenText(slot, t)),
            "weekURL": .string(layout.url(.week(service.id, monday: slot.date.mondayOfWeek), language: context.language)),
        ])
    }

    /// What stands behind a booking about to be made: the certified person, or an account whose verified
    /// contact is on it, booking for themselves; otherwise nothing but what was typed. (A booking for someone
    /// else proves the presenter, not the beneficiary: it counts by the beneficiary's codice fiscale.)
    func proof(of person: PersonDetails, _ context: RequestContext) -> BookingProof {
        guard let citizen = context.citizen, person.codiceFiscale == citizen.codiceFiscale else { return .none }
        if citizen.certified { return .certified }
        let contact = citizen.verifiedContact.lowercased()
        if !contact.isEmpty && (person.email.lowercased() == contact || person.phone == contact) { return .contact(contact) }
        return .none
    }

    // MARK: Steps shared by review and confirm

    private func activeHold(_ fields: FormFields, _ context: RequestContext) -> (Hold?, Service?, Slot?, HTTPResponse?) {
        guard let token = fields["hold"], !token.isEmpty else { return (nil, nil, nil, failure(.holdNotFound, context)) }
        let hold: Hold?
        do { hold = try store.hold(token: token) } catch { return (nil, nil, nil, failure(EndpointError(error), context)) }
        guard let hold, let service = site.catalogue.service(id: hold.slot.serviceID), let slot = service.slot(startingAt: hold.slot.start) else {
            return (nil, nil, nil, failure(.holdNotFound, context))
        }
        if hold.released { return (nil, nil, nil, failure(.holdReleased, context, service: service, near: slot)) }
        if hold.bookingID == nil && hold.expiresAt <= clock() { return (nil, nil, nil, failure(.holdExpired, context, service: service, near: slot)) }
        return (hold, service, slot, nil)
    }

    static let personFields = ["nome", "cognome", "codice_fiscale", "email", "cellulare", "note"]

    /// What the form sent, plus the beneficiary's codice fiscale when booking for someone else.
    func formValues(_ fields: FormFields) -> [String: String] {
        var values: [String: String] = [:]
        for name in Self.personFields + ["beneficiary"] { values[name] = fields[name] ?? "" }
        return values
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
        if values["beneficiary"].map({ $0.trimmingCharacters(in: .whitespaces).uppercased() }) == citizen.codiceFiscale { values["beneficiary"] = "" }
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

    /// Validates an anagrafica; on failure returns the error code per field.
    func validatePerson(_ values: [String: String], notesRequired: Bool) -> (PersonDetails?, [String: String]) {
        var errors: [String: String] = [:]
        func check<T>(_ name: String, _ body: (String) throws(FieldError) -> T) -> T? {
            do { return try body(values[name] ?? "") } catch {
                errors[name] = error.code
                return nil
            }
        }
        let givenName = check("nome") { text throws(FieldError) in try FieldValidator.personName(text, field: "nome") }
        let familyName = check("cognome") { text throws(FieldError) in try FieldValidator.personName(text, field: "cognome") }
        let codiceFiscale = check("codice_fiscale") { text throws(FieldError) in try FieldValidator.codiceFiscale(text) }
        let email = check("email") { text throws(FieldError) in try FieldValidator.email(text) }
        let phone = check("cellulare") { text throws(FieldError) in try FieldValidator.phone(text) }
        let notes = check("note") { text throws(FieldError) in try FieldValidator.notes(text, required: notesRequired) }
        guard errors.isEmpty, let givenName, let familyName, let codiceFiscale, let email, let phone else { return (nil, errors) }
        return (PersonDetails(givenName: givenName, familyName: familyName, codiceFiscale: codiceFiscale.value, email: email, phone: phone,
                              notes: (notes ?? "").isEmpty ? nil : notes), [:])
    }

    /// The booking's anagrafica: the beneficiary's, with the signed-in presenter recorded when they differ.
    func validate(_ values: [String: String], service: Service, context: RequestContext) -> (PersonDetails?, [String: String]) {
        var (person, errors) = validatePerson(values, notesRequired: service.reasonRequired)
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
