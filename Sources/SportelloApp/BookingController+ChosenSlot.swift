import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// Accounts-required mode (`booking.requireAccount`): the slot a citizen chose before signing in survives the
/// sign-in. A cookie holds only the slot's reference (service id and start instant, nothing about the person);
/// the sign-in that follows places the hold and shows its form, or, if the slot was taken meanwhile, the refusal
/// with that week's page and the nearest free slots.
extension BookingController {
    /// The cookie with the chosen slot's reference, `<service id>~<start instant>`.
    static let chosenSlotCookie = "sportello_slot"

    /// The cookie remembering the slot `fields` asked for (nil when it names no known service and instant).
    func chosenSlotCookie(_ fields: FormFields) -> String? {
        guard let serviceID = fields["service"], site.catalogue.service(id: serviceID) != nil,
            let start = fields["slot"].flatMap({ Int64($0) })
        else { return nil }
        return cookie(
            Self.chosenSlotCookie, value: "\(serviceID)~\(start)", path: layout.apiRoot + "/", maxAge: 30 * 60,
            sameSite: "Lax")
    }

    /// After a sign-in: the hold form of the slot chosen before it (or the refusal that offers the nearest free
    /// ones), the cookie cleared; nil when no slot was waiting.
    func resumeChosenSlot(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse? {
        guard context.citizen != nil, let value = request.cookies[Self.chosenSlotCookie] else { return nil }
        let parts = value.split(separator: "~", maxSplits: 1).map(String.init)
        guard parts.count == 2, site.catalogue.service(id: parts[0]) != nil, Int64(parts[1]) != nil else {
            return nil
        }
        var response = placeHold(FormFields([("service", parts[0]), ("slot", parts[1])]), context)
        response.headers.append(
            ("Set-Cookie", cookie(Self.chosenSlotCookie, value: "", path: layout.apiRoot + "/", maxAge: 0)))
        return response
    }
}
