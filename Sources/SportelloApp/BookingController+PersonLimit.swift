import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The per-person limit told as soon as the person is known (signed in: at the hold; otherwise once the codice
/// fiscale is typed, at "Continua"), never only at "Invia", and refused with nothing that would fail the same way:
/// no other slot to book, but the limit, the person's active bookings when signed in, and what to do.
extension BookingController {
    /// What a signed-in citizen's own session proves, as `proof(of:_:)` finds it for their own details.
    func citizenProof(_ citizen: Citizen) -> BookingProof {
        if citizen.certified { return .certified }
        return citizen.verifiedContact.isEmpty ? .none : .contact(citizen.verifiedContact.lowercased())
    }

    /// The refusal when `codiceFiscale` is already at the limit for `service`; nil when they may book (or the
    /// count could not be read: `confirm` decides again in its transaction).
    func personLimitRefusal(
        codiceFiscale: String, service: Service, proof: BookingProof, _ context: RequestContext
    ) -> HTTPResponse? {
        let reached =
            (try? store.personLimitReached(
                codiceFiscale: codiceFiscale, serviceID: service.id, proof: proof,
                policy: bookingPolicy, now: clock())) ?? false
        return reached ? personLimitAnswer(codiceFiscale: codiceFiscale, service: service, context) : nil
    }

    /// The limit, the person's active bookings of the service (signed in only: a typed codice fiscale proves
    /// nothing) and the way on: cancel one or wait until one has taken place.
    func personLimitAnswer(codiceFiscale: String, service: Service, _ context: RequestContext) -> HTTPResponse {
        let t = site.renderer.texts(context.language)
        let limit = bookingPolicy.maxActiveBookingsPerPerson ?? 0
        var own: [Booking] = []
        if let citizen = context.citizen, let visible = try? store.bookings(visibleTo: citizen.viewer) {
            let now = clock()
            own = visible.filter {
                $0.slot.serviceID == service.id && $0.person.codiceFiscale == codiceFiscale
                    && $0.state.isActive(slotStart: $0.slot.start, at: now)
            }
        }
        let rows: [TemplateValue] = own.reversed().map { booking in
            .object([
                "code": .string(booking.code),
                "when": .string(service.slot(startingAt: booking.slot.start).map { whenText($0, t) } ?? ""),
            ])
        }
        return failure(
            .personLimitReached, context,
            extra: (
                json: ["limit": limit, "service": service.id, "bookings": own.map(\.code)],
                page: [
                    "limitText": .string(t.format("personLimit.count", count: limit, ["limit": String(limit)])),
                    "ownBookings": rows.isEmpty ? "" : .object(["list": .list(rows)]),
                    "signInURL": .string(layout.url(.account, language: context.language)),
                    "signInText": .string(t.text(context.citizen == nil ? "account.title" : "myBookings.title")),
                ]
            ))
    }
}
