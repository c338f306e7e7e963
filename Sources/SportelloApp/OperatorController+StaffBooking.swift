import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The office books for a citizen from the operator pages (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): a
/// staff-only service, which the public site never offers, or any other service in the operator's scope.
extension OperatorController {
    /// How many of the next free starts the form offers.
    static let offeredStarts = 20

    /// What the booking route answers: a page of its own (the form again, a refusal), or a booking made, after
    /// which the agenda of its day is shown.
    enum StaffBookingOutcome {
        case answer(HTTPResponse)
        case booked(Committed<Booking>)
    }

    /// With only `service`, the form: the next free starts and the person's fields. With a start and the
    /// fields, checked as the public form checks them (`validatePerson`), the booking.
    func staffBooking(
        _ desk: OperatorDesk, fields: FormFields, now: Int64, context: RequestContext
    ) -> StaffBookingOutcome {
        guard let service = fields["service"].flatMap({ site.catalogue.service(id: $0) }) else {
            return .answer(failure(.unknownService, context))
        }
        guard desk.account.covers(serviceID: service.id, in: site.catalogue) else {
            return .answer(failure(.forbidden, context))
        }
        let starts: [Slot]
        do { starts = try freeStarts(of: service, now: now) } catch {
            return .answer(failure(EndpointError(error), context))
        }
        let values = formValues(fields)
        guard let chosen = fields["slot"] else {
            return .answer(
                form(service, starts: starts, chosen: nil, values: values, errors: [:], status: 200, context: context))
        }
        let (checked, personErrors) = validatePerson(values, notesRequired: service.reasonRequired)
        var errors = personErrors
        // Only a start of the service's own schedule still to come: never an instant made up in the form.
        let slot = Int64(chosen).flatMap { service.slot(startingAt: $0) }.flatMap { $0.startInstant > now ? $0 : nil }
        if slot == nil { errors["slot"] = "required" }
        guard let slot, let person = checked, errors.isEmpty else {
            return .answer(
                form(
                    service, starts: starts, chosen: chosen, values: values, errors: errors, status: 422,
                    context: context))
        }
        do {
            return .booked(
                try desk.book(
                    service: service, slot: slot, person: person, policy: configuration.bookingPolicy,
                    language: context.language, now: now))
        } catch {
            return .answer(failure(error.endpointError, context))
        }
    }

    /// The next free starts of a service from `now`, at most `offeredStarts`, with its operator unavailability.
    private func freeStarts(of service: Service, now: Int64) throws -> [Slot] {
        let end = now + Int64(service.window.maxDaysAhead + 1) * 86_400
        let occupancy =
            try StoreOccupancy(store: store, catalogue: site.catalogue)
            .occupancy(serviceID: service.id, from: now - 86_400, to: end, now: now)[service.id] ?? [:]
        return service.freeSlots(
            now: now, days: service.window.maxDaysAhead, before: end, occupancy: occupancy, limit: Self.offeredStarts
        ).map(\.slot)
    }

    private func form(
        _ service: Service, starts: [Slot], chosen: String?, values: [String: String], errors: [String: String],
        status: Int, context: RequestContext
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let startValues: [TemplateValue] = starts.map { slot in
            .object([
                "value": .string(String(slot.startInstant)), "label": .string(whenText(slot, t)),
                "checked": .bool(String(slot.startInstant) == chosen),
            ])
        }
        let fieldNames = ["slot"] + Self.personFields
        let errorValues: [TemplateValue] = fieldNames.compactMap { name in
            errors[name].map { code in
                .object(["field": .string(name), "message": .string(t.text("fieldErrors.\(code)"))])
            }
        }
        var fieldValues: TemplateFields = [:]
        for name in Self.personFields { fieldValues[name] = .string(values[name] ?? "") }
        return page(
            "operator-book", status: status,
            title: t.format("staffBooking.title", ["service": service.text(for: context.language).name]),
            context: context,
            values: [
                "serviceID": .string(service.id), "starts": .list(startValues), "hasStarts": .bool(!starts.isEmpty),
                "errors": .list(errorValues), "hasErrors": .bool(!errorValues.isEmpty),
                "values": .object(fieldValues), "reasonRequired": .bool(service.reasonRequired),
                "bookAction": .string(layout.api(.operatorBook)),
                "agendaAction": .string(layout.api(.operatorAgenda)),
            ], pageID: .operatorLogin)
    }
}
