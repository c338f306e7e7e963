import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The two steps every way of moving a booking shares (docs/ARCHITECTURE.md §4 "Moving"): without `slot`, the
/// page of free starts of the booking's service; with it, the checked start handed to the Store's move.
extension EndpointController {
    /// `hidden` are the fields the choice form sends back (the codice fiscale of a lookup, the agenda's entry);
    /// `perform` moves the booking to a start with the service's capacity (and its desks), in one Store transaction.
    func moveStep(
        _ booking: Booking, _ fields: FormFields, _ context: RequestContext, route: EndpointRoute,
        hidden: [String: String], store: BookingStore, afterCommit: AfterCommit, now: Int64,
        perform: (Int64, Int, DeskClaim?) throws(BookingError) -> Committed<Booking>
    ) -> MoveOutcome {
        guard let service = site.catalogue.service(id: booking.slot.serviceID) else {
            return .answer(failure(.unknownService, context))
        }
        guard booking.state.isActive(slotStart: booking.slot.start, at: now) else {
            return .answer(failure(.bookingNotMovable, context, service: service))
        }
        let choices = MoveChoices(
            catalogue: site.catalogue, store: store, weeksPublished: configuration.booking.weeksPublished)
        guard let requested = fields["slot"], !requested.isEmpty else {
            do {
                let starts = try choices.freeStarts(for: booking, service: service, now: now)
                let page = movePage(booking, service: service, starts: starts, route: route, hidden: hidden, context)
                return .answer(page)
            } catch {
                return .answer(failure(EndpointError(error), context))
            }
        }
        guard let start = Int64(requested) else { return .answer(failure(.unknownSlot, context, service: service)) }
        let target = choices.target(start, service: service, now: now)
        guard let slot = target.slot else { return .answer(failure(target.refusal, context, service: service)) }
        do {
            let moved = try perform(
                slot.startInstant, service.capacity, site.catalogue.deskClaim(of: service, slot: slot))
            afterCommit.apply(moved.change)
            return .moved(moved.value, from: booking)
        } catch {
            return .answer(failure(EndpointError(error), context, service: service, near: slot))
        }
    }

    /// The free starts to choose from, as a form that sends the chosen one back to `route`.
    func movePage(
        _ booking: Booking, service: Service, starts: [Slot], route: EndpointRoute, hidden: [String: String],
        _ context: RequestContext
    ) -> HTTPResponse {
        if context.wantsJSON {
            return json(
                200,
                [
                    "booking": bookingJSON(booking),
                    "choices": starts.map { ["start": $0.startInstant, "end": $0.endInstant] },
                ])
        }
        let t = site.renderer.texts(context.language)
        return page(
            "move", status: 200, title: t.text("move.title"), context: context,
            values: [
                "code": .string(booking.code),
                "service": .object(site.renderer.serviceValue(service, language: context.language)),
                "when": .string(bookedTime(booking, service: service, t)),
                "action": .string(layout.api(route)),
                "codiceFiscale": .string(hidden["codice_fiscale"] ?? ""), "entry": .string(hidden["entry"] ?? ""),
                "hasChoices": .bool(!starts.isEmpty),
                "choices": .list(
                    starts.map {
                        .object(["start": .string(String($0.startInstant)), "label": .string(whenText($0, t))])
                    }),
            ])
    }

    /// The citizen's answer to a move: the new time, the old one, and the week of the new one.
    func movedPage(_ moved: Booking, from previous: Booking, _ context: RequestContext) -> HTTPResponse {
        if context.wantsJSON {
            return json(200, ["booking": bookingJSON(moved), "from": previous.slot.start])
        }
        guard let service = site.catalogue.service(id: moved.slot.serviceID) else {
            return failure(.unknownService, context)
        }
        let t = site.renderer.texts(context.language)
        let monday = RomeTime.local(moved.slot.start).date.mondayOfWeek
        return page(
            "moved", status: 200, title: t.text("move.doneTitle"), context: context,
            values: [
                "code": .string(moved.code),
                "service": .object(site.renderer.serviceValue(service, language: context.language)),
                "when": .string(bookedTime(moved, service: service, t)),
                "from": .string(bookedTime(previous, service: service, t)),
                "weekURL": .string(layout.url(.week(service.id, monday: monday), language: context.language)),
            ])
    }

    /// A booking's time in words (`PageRenderer.whenText(startingAt:service:_:)`).
    func bookedTime(_ booking: Booking, service: Service, _ t: Translations) -> String {
        site.renderer.whenText(startingAt: booking.slot.start, service: service, t)
    }
}
