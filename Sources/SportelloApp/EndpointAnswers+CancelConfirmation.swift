import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

extension EndpointAnswers {
    /// Whether a cancellation form asks to cancel now: the second step's "Conferma annullamento" says so
    /// (`confirm=1`); a JSON client asks by sending the request at all (its answer stays as it was).
    static func cancellationConfirmed(_ fields: FormFields, _ context: RequestContext) -> Bool {
        context.wantsJSON || fields["confirm"] == "1"
    }

    /// The step before a cancellation (docs/ARCHITECTURE.md "Back and forward"): what will be cancelled
    /// (service, day and time, code), a "Conferma annullamento" button posting `hidden` and `confirm=1` to
    /// `action` again, and "Torna indietro" to `backURL`. Works without JavaScript.
    func cancelConfirmation(
        _ booking: Booking, action: EndpointRoute, hidden: [(String, String)], backURL: String,
        context: RequestContext
    ) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let service = site.catalogue.service(id: booking.slot.serviceID)
        let slot = service?.slot(startingAt: booking.slot.start)
        return page(
            "cancel-confirm", status: 200, title: t.text("cancelConfirm.title"), context: context,
            values: [
                "service": .string(service?.text(for: context.language).name ?? booking.slot.serviceID),
                "when": .string(slot.map { whenText($0, t) } ?? ""),
                "code": .string(booking.code),
                "action": .string(layout.api(action)),
                "hidden": .list(
                    ([("code", booking.code)] + hidden).map {
                        .object(["name": .string($0.0), "value": .string($0.1)])
                    }
                ),
                "backURL": .string(backURL),
            ], pageID: .cancel)
    }
}
