import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// The App IO message and the webhook event of an outbox message. Both are written from what the mail is
/// written from, so a new kind of message needs only its texts (`mail.<kind>.subject`, `mail/<kind>.txt`).
extension Composer {
    /// The App IO message: the mail's subject, and its text version as the Markdown body, in the message's
    /// language, fitted within the API's limits.
    public func ioContent(for message: OutboxMessage, booking: Booking?) throws(Failure) -> IOContent {
        var values = try values(message, booking: booking)
        let subject = subject(message, booking: booking)
        values["subject"] = .string(subject)
        // An IO message has no attachments: the text template leaves out the line that announces them.
        values["appIO"] = .bool(true)
        let text: String
        do {
            text = try renderer.templates.render("mail/\(Self.template(for: message.kind)).txt", .object(values))
        } catch {
            throw .template("\(error)")
        }
        let t = renderer.texts(message.language)
        return IOContent(
            subject: subject, markdown: text, subjectFiller: comune.name,
            markdownFiller: t.format("io.footer", ["comune": comune.name]))
    }

    /// The webhook event as JSON: what happened, to which booking, when; the person only when the comune
    /// allows it (`includePersonalData`).
    public func webhookEvent(
        for message: OutboxMessage, booking: Booking?, includePersonalData: Bool, now: Int64
    ) throws(Failure) -> [UInt8] {
        guard let booking else { throw .bookingMissing(message.bookingID) }
        let service = renderer.catalogue.service(id: booking.slot.serviceID)
        var event: [String: Any] = [
            "event": message.kind.rawValue, "delivery": message.id, "sentAt": RomeTime.iso8601(now),
            "comune": comune.name, "language": message.language,
            "booking": [
                "code": booking.code, "state": booking.state.rawValue, "service": booking.slot.serviceID,
                "serviceName": service?.text(for: message.language).name ?? "",
                "start": RomeTime.iso8601(booking.slot.start), "end": RomeTime.iso8601(booking.slotEnd),
                "address": service?.address ?? "",
            ] as [String: Any],
        ]
        if includePersonalData {
            event["person"] = [
                "givenName": booking.person.givenName, "familyName": booking.person.familyName,
                "codiceFiscale": booking.person.codiceFiscale, "email": booking.person.email,
                "phone": booking.person.phone,
            ]
        }
        return JSONWriter.bytes(event)
    }
}
