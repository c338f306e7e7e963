import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// Moving a booking by its citizen (`EndpointRoute.moves`, `.moveMine`): the free starts, then the move.
extension BookingController {
    /// With the booking code and the codice fiscale, as on the cancellation page; wrong pairs count against the
    /// same lookup budget as a cancellation's.
    func move(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let code = fields["code"], !code.isEmpty, let codiceFiscale = fields["codice_fiscale"],
            !codiceFiscale.isEmpty
        else {
            return failure(.invalidFields, context, fieldErrors: [:])
        }
        if let limited = limitLookup(code: code, context) { return limited }
        let found: Booking?
        do { found = try store.booking(code: code, codiceFiscale: codiceFiscale) } catch {
            return failure(EndpointError(error), context)
        }
        guard let booking = found else {
            lookupFailed(code: code, context)
            return failure(.bookingNotFound, context)
        }
        let outcome = moveStep(
            booking, fields, context, route: .moves, hidden: ["codice_fiscale": codiceFiscale], store: store,
            afterCommit: afterCommit, now: clock()
        ) { start, capacity, desk throws(BookingError) in
            try store.move(
                code: code, codiceFiscale: codiceFiscale, to: start, capacity: capacity, desk: desk, now: clock(),
                clientIP: context.clientAddress, messages: bookingPolicy.messages)
        }
        switch outcome {
        case .answer(let response): return response
        case .moved(let moved, let previous): return movedPage(moved, from: previous, context)
        }
    }

    /// From "Le mie prenotazioni": a booking the signed-in citizen may act on (see `BookingViewer`).
    func moveMine(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        let code = fields["code"] ?? ""
        let found: Booking?
        do { found = try store.booking(code: code, viewer: citizen.viewer) } catch {
            return failure(EndpointError(error), context)
        }
        guard let booking = found else { return failure(.bookingNotFound, context) }
        let outcome = moveStep(
            booking, fields, context, route: .moveMine, hidden: [:], store: store, afterCommit: afterCommit,
            now: clock()
        ) { start, capacity, desk throws(BookingError) in
            try store.move(
                code: code, viewer: citizen.viewer, to: start, capacity: capacity, desk: desk, now: clock(),
                clientIP: context.clientAddress, messages: bookingPolicy.messages)
        }
        switch outcome {
        case .answer(let response): return response
        case .moved(let moved, let previous): return movedPage(moved, from: previous, context)
        }
    }
}
