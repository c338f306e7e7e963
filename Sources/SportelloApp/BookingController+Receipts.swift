import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloSite
import SportelloStore

extension BookingController {
    /// The printable receipt, again: booking code and codice fiscale (or a booking the signed-in citizen may
    /// see), never published.
    func receipt(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        let code = fields["code"] ?? ""
        let codiceFiscale = fields["codice_fiscale"] ?? ""
        if code.isEmpty || (codiceFiscale.isEmpty && context.citizen == nil) {
            return lookupRefused(fields, form: .receipt, context)
        }
        let found: Booking?
        do {
            if codiceFiscale.isEmpty, let citizen = context.citizen {
                found = try store.booking(code: code, viewer: citizen.viewer)
            } else {
                if let limited = limitLookup(code: code, context) { return limited }
                found = try store.booking(code: code, codiceFiscale: codiceFiscale)
                if found == nil { lookupFailed(code: code, context) }
            }
        } catch {
            return failure(EndpointError(error), context)
        }
        guard let booking = found else { return failure(.bookingNotFound, context) }
        if context.wantsJSON { return json(200, ["booking": bookingJSON(booking)]) }
        let t = site.renderer.texts(context.language)
        return page(
            "receipt", status: 200, title: "\(t.text("receipt.title")) \(booking.code)", context: context,
            values: notifier.composer.receiptValues(booking, language: context.language), pageID: .cancel)
    }
}

extension BookingController {
    /// A look-up by code and codice fiscale with a field left empty: the cancel page again, that form filled in
    /// with what was typed and each empty field named (JSON clients get the codes per field).
    func lookupRefused(_ fields: FormFields, form: PageRenderer.LookupForm, _ context: RequestContext) -> HTTPResponse {
        var errors: [String: String] = [:]
        var values: [String: String] = [:]
        for name in ["code", "codice_fiscale"] {
            values[name] = fields[name] ?? ""
            if (values[name] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                errors[name] = FieldError.Code.required
            }
        }
        if form == .receipt && context.citizen != nil { errors["codice_fiscale"] = nil }
        if context.wantsJSON { return failure(.invalidFields, context, fieldErrors: errors) }
        answers.metrics.countRefusal(EndpointError.invalidFields.rawValue)
        let t = site.renderer.texts(context.language)
        return page(
            "cancel", status: EndpointError.invalidFields.status, title: t.text("cancelPage.title"), context: context,
            values: site.renderer.cancelValues(language: context.language, form: form, values: values, errors: errors),
            pageID: .cancel)
    }
}

extension BookingController {
    /// Code + codice fiscale (cancel, receipt) is a guess anyone can make: wrong pairs are limited per client
    /// address and per booking code, so neither many codes from one address nor one code from many
    /// addresses can be tried for long. Nil when this attempt may proceed.
    func limitLookup(code: String, _ context: RequestContext) -> HTTPResponse? {
        let now = Double(clock())
        let key = BookingStore.normalizedCode(code)
        guard
            !lookupLimiter.wouldAllow("address:" + context.clientKey, now: now)
                || !lookupLimiter.wouldAllow("code:" + key, now: now)
        else {
            return nil
        }
        var response = failure(.rateLimited, context)
        response.headers.append(("Retry-After", "60"))
        return response
    }

    /// Counts a wrong code + codice fiscale pair against the address and the code.
    func lookupFailed(code: String, _ context: RequestContext) {
        let now = Double(clock())
        _ = lookupLimiter.allow("address:" + context.clientKey, now: now)
        _ = lookupLimiter.allow("code:" + BookingStore.normalizedCode(code), now: now)
    }
}
