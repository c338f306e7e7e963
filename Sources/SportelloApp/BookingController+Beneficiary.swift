import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

/// Booking for someone else: the beneficiary chosen on the hold's form or on the service page.
extension BookingController {
    // MARK: Booking for someone else

    /// "Per un'altra persona": the presenter gives the beneficiary's codice fiscale first; the form that
    /// follows is bound to it. An empty codice fiscale goes back to booking for oneself.
    func chooseBeneficiary(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard context.citizen != nil else { return failure(.signInRequired, context) }
        let found: Hold?
        do { found = try fields["hold"].flatMap { token throws(BookingError) in try store.hold(token: token) } } catch {
            return failure(EndpointError(error), context)
        }
        guard let hold = found, let service = site.catalogue.service(id: hold.slot.serviceID),
            let slot = service.slot(startingAt: hold.slot.start)
        else { return failure(.holdNotFound, context) }
        if hold.released { return failure(.holdReleased, context, service: service, near: slot) }
        if hold.hasRunOut(at: clock()) { return failure(.holdExpired, context, service: service, near: slot) }
        let given = (fields["beneficiary"] ?? "").trimmingCharacters(in: .whitespaces)
        var values = formValues(fields)
        if given.isEmpty {
            values["beneficiary"] = ""
            var response = formPage(
                service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:],
                context: context,
                status: 200)
            response.headers.append(("Set-Cookie", beneficiaryCookie(value: "", maxAge: 0)))
            return response
        }
        do {
            values["beneficiary"] = try FieldValidator.codiceFiscale(given).value
        } catch {
            return formPage(
                service: service, slot: slot, hold: hold, values: values, errors: ["beneficiary": error.code],
                context: context, status: 422)
        }
        if values["beneficiary"] == context.citizen?.codiceFiscale { values["beneficiary"] = "" }
        // A new beneficiary: names start empty, the codice fiscale is theirs, contacts stay the presenter's.
        values["nome"] = ""
        values["cognome"] = ""
        return formPage(
            service: service, slot: slot, hold: hold, values: lockedValues(values, context), errors: [:],
            context: context, status: 200)
    }

    static let beneficiaryCookie = "sportello_beneficiary"

    private func beneficiaryCookie(value: String, maxAge: Int64) -> String {
        cookie(Self.beneficiaryCookie, value: value, path: layout.apiRoot + "/", maxAge: maxAge)
    }

    /// "Prenota per un'altra persona" on the service page, before any slot: the beneficiary's codice fiscale is
    /// checked at once (on the server, no script needed) and remembered for an hour in a cookie only the
    /// endpoint reads, so the hold's form then starts bound to that person. An empty one (or one's own)
    /// goes back to booking for oneself.
    func chooseBeneficiaryFirst(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        guard let service = fields["service"].flatMap({ site.catalogue.publicService(id: $0) }) else {
            return failure(.unknownService, context)
        }
        let t = site.renderer.texts(context.language)
        let week = layout.url(
            .week(service.id, monday: RomeTime.local(clock()).date.mondayOfWeek), language: context.language)
        let given = (fields["beneficiary"] ?? "").trimmingCharacters(in: .whitespaces)
        var beneficiary = ""
        if !given.isEmpty {
            do { beneficiary = try FieldValidator.codiceFiscale(given).value } catch {
                if context.wantsJSON {
                    return failure(.invalidFields, context, fieldErrors: ["beneficiary": error.code])
                }
                // The form again, the typed codice fiscale kept and the field named (docs/ARCHITECTURE.md §5).
                answers.metrics.countRefusal(EndpointError.invalidFields.rawValue)
                return page(
                    "for-other", status: EndpointError.invalidFields.status, title: t.text("forOther.title"),
                    context: context,
                    values: [
                        "serviceLine": .string(
                            t.text("forOther.service") + ": " + service.text(for: context.language).name),
                        "serviceURL": .string(layout.url(.service(service.id), language: context.language)),
                        "forOther": site.renderer.forOtherValue(
                            service: service, language: context.language, typed: given, error: error.code),
                    ], pageID: .service(service.id))
            }
        }
        if beneficiary == citizen.codiceFiscale { beneficiary = "" }
        let cookie = beneficiaryCookie(value: beneficiary, maxAge: beneficiary.isEmpty ? 0 : 3_600)
        if context.wantsJSON {
            var response = json(200, ["beneficiary": beneficiary, "week": week])
            response.headers.append(("Set-Cookie", cookie))
            return response
        }
        var response = HTTPResponse.redirect(week)
        response.headers.append(("Set-Cookie", cookie))
        return response
    }
}
