import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// The booking steps' pages: the form, the summary, the confirmation.
extension BookingController {
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
            "expiresText": .string(
                t.format(
                    "hold.expires", count: minutes,
                    ["time": LocalTime(minutes: expiry.minutes)?.description ?? "", "minutes": String(minutes)])),
            "countdownTemplate": .string(t.text("hold.countdownLive")),
            "countdownTemplateOne": .string(t.text("hold.countdownLiveOne")),
            "releaseAction": .string(layout.api(.releaseHold)),
            "reviewAction": .string(layout.api(.review)),
            "confirmAction": .string(layout.api(.bookings)),
            "weekURL": .string(
                layout.url(.week(service.id, monday: slot.date.mondayOfWeek), language: context.language)),
        ]
    }

    /// The i18n key (`form.<key>.label`) of each form field.
    static let fieldLabelKeys = [
        "nome": "given", "cognome": "family", "codice_fiscale": "codiceFiscale", "email": "email", "cellulare": "phone",
        "note": "notes",
    ]

    /// The details form's fields as its error summary names them, in page order.
    func formSummary(service: Service, context: RequestContext) -> FieldErrorSummary {
        let t = site.renderer.texts(context.language)
        var fields = [
            FieldErrorSummary.Field(
                name: "beneficiary", id: "field-beneficiary", label: t.text("form.beneficiary.label"))
        ]
        for name in Self.personFields {
            let label =
                name == "note"
                ? (service.text(for: context.language).reasonLabel ?? t.text("form.notes.label"))
                : t.text("form.\(Self.fieldLabelKeys[name] ?? name).label")
            fields.append(FieldErrorSummary.Field(name: name, id: "field-\(name)", label: label))
        }
        for field in service.extraFields {
            fields.append(
                FieldErrorSummary.Field(
                    name: field.formName, id: "field-\(field.formName)", label: extraLabel(field, context)))
        }
        return FieldErrorSummary(fields: fields)
    }

    func formPage(
        service: Service, slot: Slot, hold: Hold, values: [String: String], errors: [String: String],
        context: RequestContext,
        status: Int, notice: String? = nil
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        var page = holdValues(service: service, slot: slot, hold: hold, context: context)
        page["holdNotice"] = .string(notice ?? "")
        let beneficiary = values["beneficiary"] ?? ""
        // Fields the identity fixes are shown read-only; the server enforces them anyway (`lockedValues`).
        var locked: Set<String> = []
        if let citizen = context.citizen {
            locked = beneficiary.isEmpty ? ["nome", "cognome", "codice_fiscale"] : ["codice_fiscale"]
            page["citizen"] = .object([
                "name": .string(citizen.fullName), "codiceFiscale": .string(citizen.codiceFiscale),
            ])
            page["whoText"] = .string(
                beneficiary.isEmpty
                    ? t.format(
                        citizen.certified ? "form.forSelfCertified" : "form.forSelf",
                        ["name": citizen.fullName, "codiceFiscale": citizen.codiceFiscale])
                    : t.format("form.forOther", ["codiceFiscale": beneficiary, "name": citizen.fullName]))
            page["forOther"] = .bool(!beneficiary.isEmpty)
            page["forWhomAction"] = .string(layout.api(.chooseBeneficiary))
            page["beneficiaryError"] = .string(errors["beneficiary"].map { t.text("fieldErrors.\($0)") } ?? "")
        }
        page["beneficiary"] = .string(beneficiary)
        // Not signed in: SPID/CIE right on the form, coming back to this hold with the details filled in.
        if context.citizen == nil, let identity = configuration.identity,
            let buttons = identity.loginButtons(
                returnPath: layout.api(.resumeHold) + "?hold=\(hold.token)&lang=\(context.language)",
                origin: configuration.comune.origin)
        {
            page["identityLogin"] = buttons
        }
        let lockedHint = t.text(context.citizen?.certified == true ? "form.lockedCertified" : "form.lockedAccount")
        var fieldList: [TemplateValue] = []
        for name in Self.personFields {
            let key = Self.fieldLabelKeys[name] ?? name
            var field: TemplateFields = [
                "name": .string(name), "label": .string(t.text("form.\(key).label")),
                "hint": .string(t.has("form.\(key).hint") ? t.text("form.\(key).hint") : ""),
                "value": .string(values[name] ?? ""), "error": "", "required": true, "textarea": false,
                "type": .string(name == "email" ? "email" : name == "cellulare" ? "tel" : "text"),
                "autocomplete": .string(
                    ["nome": "given-name", "cognome": "family-name", "email": "email", "cellulare": "tel"][name]
                        ?? "off"),
            ]
            if name == "note" {
                let text = service.text(for: context.language)
                field["label"] = .string(text.reasonLabel ?? t.text("form.notes.label"))
                field["required"] = .bool(service.reasonRequired)
                field["textarea"] = true
            }
            if let code = errors[name] { field["error"] = .string(t.text("fieldErrors.\(code)")) }
            field["readonly"] = .bool(locked.contains(name))
            if locked.contains(name) {
                field["hint"] = .string(beneficiary.isEmpty ? lockedHint : t.text("form.lockedBeneficiary"))
            }
            if !beneficiary.isEmpty && (name == "email" || name == "cellulare") {
                field["hint"] = .string(t.text("form.contactsForOther"))
            }
            fieldList.append(.object(field))
        }
        fieldList += extraFieldValues(service: service, values: values, errors: errors, context: context)
        page["fields"] = .list(fieldList)
        page["errorSummary"] = formSummary(service: service, context: context).value(errors: errors, t)
        // The details and the applicant are typed on this one form: neither is done before it is sent.
        page["steps"] = site.renderer.steps(current: 2...3, language: context.language)
        return self.page("hold", status: status, title: t.text("hold.title"), context: context, values: page)
    }

    /// `verification`: where the contact must prove itself, what was sent where (the page then asks for the
    /// code and offers a new one); `verificationError`: the code typed was wrong.
    func summaryPage(
        service: Service, slot: Slot, hold: Hold, values: [String: String], context: RequestContext,
        verification: String? = nil, verificationError: String? = nil, notice: String? = nil
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        var page = holdValues(service: service, slot: slot, hold: hold, context: context)
        page["holdNotice"] = .string(notice ?? "")
        if let verification {
            page["verification"] = .object([
                "message": .string(verification), "error": .string(verificationError ?? ""),
            ])
        }
        if let verificationError {
            let code = FieldErrorSummary.Field(
                name: "verification_code", id: "field-verification_code", label: t.text("verification.label"))
            page["errorSummary"] = FieldErrorSummary(fields: [code]).value(
                messages: ["verification_code": verificationError], t)
        }
        let extraItems: [TemplateValue] = service.extraFields.compactMap { field in
            guard let answer = values[field.formName], !answer.isEmpty else { return nil }
            return .object(["label": .string(extraLabel(field, context)), "value": .string(answer)])
        }
        page["items"] = .list(
            Self.personFields.compactMap { name in
                let value = values[name] ?? ""
                if name == "note" && value.isEmpty { return nil }
                let label =
                    name == "note"
                    ? (service.text(for: context.language).reasonLabel ?? t.text("form.notes.label"))
                    : t.text("form.\(Self.fieldLabelKeys[name] ?? name).label")
                return .object(["label": .string(label), "value": .string(value)])
            } + extraItems)
        page["hidden"] = .list(
            (Self.personFields + ["beneficiary"] + service.extraFields.map(\.formName)).map {
                .object(["name": .string($0), "value": .string(values[$0] ?? "")])
            })
        if let citizen = context.citizen, let beneficiary = values["beneficiary"], !beneficiary.isEmpty {
            page["forOtherText"] = .string(
                t.format("form.forOther", ["codiceFiscale": beneficiary, "name": citizen.fullName]))
        }
        page["steps"] = site.renderer.steps(current: 4, language: context.language)
        return self.page("summary", status: 200, title: t.text("summary.title"), context: context, values: page)
    }

    func confirmationPage(booking: Booking, service: Service, slot: Slot, context: RequestContext) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let text = service.text(for: context.language)
        let event = CalendarEvent(
            uid: "\(booking.code)@\(URL(string: configuration.comune.baseURL)?.host ?? "sportello")",
            start: slot.startInstant,
            end: slot.endInstant, stamp: booking.createdAt, summary: "\(text.name) – \(configuration.comune.name)",
            location: service.address, description: t.format("confirmed.calendarDescription", ["code": booking.code]))
        let ics = event.ics
        let icsHref =
            "data:text/calendar;charset=utf-8,"
            + (ics.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        func query(_ pairs: [(String, String)]) -> String {
            pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(
                separator: "&")
        }
        let google =
            "https://calendar.google.com/calendar/render?"
            + query([
                ("action", "TEMPLATE"), ("text", event.summary),
                ("dates", "\(CalendarEvent.utc(slot.startInstant))/\(CalendarEvent.utc(slot.endInstant))"),
                ("location", service.address ?? ""), ("details", event.description ?? ""),
            ])
        func iso(_ instant: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(instant)))
        }
        let outlook =
            "https://outlook.live.com/calendar/0/deeplink/compose?"
            + query([
                ("path", "/calendar/action/compose"), ("rru", "addevent"), ("subject", event.summary),
                ("startdt", iso(slot.startInstant)),
                ("enddt", iso(slot.endInstant)), ("location", service.address ?? ""), ("body", event.description ?? ""),
            ])
        var values: TemplateFields = [
            "service": .object(site.renderer.serviceValue(service, language: context.language)),
            "when": .string(whenText(slot, t)),
            "code": .string(booking.code),
            "desk": .string(booking.deskName ?? ""),
            "person": .object([
                "name": .string("\(booking.person.givenName) \(booking.person.familyName)"),
                "codiceFiscale": .string(booking.person.codiceFiscale), "email": .string(booking.person.email),
                "phone": .string(booking.person.phone), "notes": .string(booking.person.notes ?? ""),
            ]),
            "icsHref": .string(icsHref), "icsName": .string("appuntamento-\(booking.code).ics"),
            "googleURL": .string(google), "outlookURL": .string(outlook),
            "cancelURL": .string("\(layout.url(.catalogue, language: context.language))annulla/"),
            "comune": .string(configuration.comune.name),
        ]
        values["steps"] = site.renderer.steps(current: 5, language: context.language)
        // A request waiting for the office's approval has no appointment to put in a calendar yet.
        values["pending"] = .bool(booking.state.awaitsApproval)
        let title = t.text(booking.state.awaitsApproval ? "approval.requestedTitle" : "confirmed.title")
        return page("confirmed", status: 201, title: title, context: context, values: values)
    }
}
