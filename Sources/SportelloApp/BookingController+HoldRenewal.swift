import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// A hold that ran out while the citizen typed costs them nothing they typed: the same slot is held again when it
/// is still free, otherwise the details come back with the nearest free slots, each of which keeps them.
extension BookingController {
    /// What `renewRunOutHold` decided.
    enum HoldRenewal {
        /// The hold is still good (or not a hold that ran out): go on as usual.
        case unchanged
        /// The same slot was free and is held again: go on with `fields` (which name the new hold); `notice` says
        /// so on the next page.
        case renewed(fields: FormFields, notice: String)
        /// The slot was taken meanwhile: this page keeps the details and offers the nearest free slots.
        case lost(HTTPResponse)
    }

    /// Fields sent back with "Prenota" on a slot offered after a hold ran out, so that its form comes filled in.
    /// They travel in the POST body of a page that is never stored, never in a URL or in `output/`.
    static var carriedFields: [String] { personFields }

    /// At "Continua" and "Invia": a hold that ran out unconfirmed (not one the citizen gave back) is placed again
    /// on the same slot for the same visitor, with a full hold time.
    func renewRunOutHold(_ fields: FormFields, _ context: RequestContext) -> HoldRenewal {
        guard let token = fields["hold"], !token.isEmpty,
            let old = try? store.hold(token: token), !old.released, old.bookingID == nil,
            old.hasRunOut(at: clock()),
            let service = site.catalogue.service(id: old.slot.serviceID),
            let slot = service.slot(startingAt: old.slot.start)
        else { return .unchanged }
        let now = clock()
        let session = context.visitor ?? Tokens.hex128()
        do {
            // Time went on: a slot now past, or within the service's notice, is not held again.
            switch service.availability(of: slot, occupancy: .empty, now: now).state {
            case .past, .notYetBookable: throw BookingError.holdExpired
            default: break
            }
            let placed = try store.placeHold(
                slot: old.slot, capacity: service.capacity, now: now,
                expiresAt: now + Int64(configuration.booking.holdMinutes) * 60, clientIP: context.clientAddress,
                client: holdClient(context, session: session, proven: false))
            afterCommit.apply(placed.change)
            let hold = placed.value
            let t = site.renderer.texts(context.language)
            let until = LocalTime(minutes: RomeTime.local(hold.expiresAt).minutes)?.description ?? ""
            var pairs = fields.pairs.filter { $0.name != "hold" }.map { ($0.name, $0.value) }
            pairs.append(("hold", hold.token))
            return .renewed(fields: FormFields(pairs), notice: t.format("holdRenewal.renewed", ["time": until]))
        } catch {
            if context.wantsJSON { return .lost(failure(.holdExpired, context, service: service, near: slot)) }
            return .lost(lostHoldPage(service: service, slot: slot, fields: fields, context: context))
        }
    }

    /// Whether confirming the details in `fields` needs a code sent to their contact first.
    func verifiesContact(_ fields: FormFields, _ context: RequestContext) -> Bool {
        guard let token = fields["hold"], let hold = try? store.hold(token: token),
            let service = site.catalogue.service(id: hold.slot.serviceID)
        else { return false }
        let (person, _) = validate(lockedValues(formValues(fields), context), service: service, context: context)
        return person.map { contactToVerify($0, service: service, context) != nil } ?? false
    }

    /// The slot went to someone else: what was typed, and the nearest free slots, each "Prenota" sending the
    /// typed details along (hidden fields of a POST form) so the new hold's form comes filled in.
    func lostHoldPage(service: Service, slot: Slot, fields: FormFields, context: RequestContext) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let values = lockedValues(formValues(fields), context)
        let carried: [TemplateValue] = (Self.carriedFields + ["beneficiary"]).compactMap { name in
            guard let value = values[name], !value.isEmpty else { return nil }
            return .object(["name": .string(name), "value": .string(value)])
        }
        let labels = formSummary(service: service, context: context).fields
        let items: [TemplateValue] = labels.compactMap { field in
            guard let value = values[field.name], !value.isEmpty else { return nil }
            return .object(["label": .string(field.label), "value": .string(value)])
        }
        let alternatives: [TemplateValue] = answers.alternatives.nearestFreeSlots(
            service: service, from: slot, limit: 5
        ).map { free in
            .object(["slot": .string(String(free.startInstant)), "text": .string(whenText(free, t))])
        }
        answers.metrics.countRefusal(EndpointError.holdExpired.rawValue)
        return page(
            "hold-lost", status: EndpointError.holdExpired.status, title: t.text("holdRenewal.lostTitle"),
            context: context,
            values: [
                "service": .object(site.renderer.serviceValue(service, language: context.language)),
                "message": .string(t.format("holdRenewal.lost", ["when": whenText(slot, t)])),
                "items": .list(items), "carried": .list(carried), "alternatives": .list(alternatives),
                "hasAlternatives": .bool(!alternatives.isEmpty), "serviceID": .string(service.id),
                "holdAction": .string(layout.api(.holds)),
                "weekURL": .string(
                    layout.url(.week(service.id, monday: slot.date.mondayOfWeek), language: context.language)),
            ])
    }

    /// The details a "Prenota" from `lostHoldPage` carried, to fill in the new hold's form; nothing otherwise.
    func carriedValues(_ fields: FormFields) -> [String: String] {
        guard fields["carry"] == "1" else { return [:] }
        var values: [String: String] = [:]
        for name in Self.carriedFields + ["beneficiary"] {
            if let value = fields[name], !value.isEmpty { values[name] = value }
        }
        return values
    }
}
