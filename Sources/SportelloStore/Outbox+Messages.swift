import SportelloCore

/// The outbox rows each kind of change writes, from data the Store already has. Only the facts go in the row
/// (kind, channel, recipient, booking, language, a few values); the notifier composes the text at delivery.
extension Outbox {
    /// Queues `kind` (`.confirmed`, `.cancelled`) about `booking` on every channel `policy` sends on that the
    /// booking has an address for, inside the change's transaction. A booking made for someone else also sends
    /// its presenter a copy, at the presenter's own contact. Returns the rows written.
    static func enqueueBookingMessages(
        _ connection: Connection, kind: NotificationKind, booking: Booking,
        policy: MessagePolicy, at now: Int64
    ) throws -> Int {
        var recipients = [(NotificationChannel.email, booking.person.email), (.sms, booking.person.phone)]
        if let copy = booking.person.presenterContact, !copy.isEmpty,
            copy.lowercased() != booking.person.email.lowercased() && copy != booking.person.phone
        {
            recipients.append((NotificationChannel(contact: copy), copy))
        }
        // App IO reaches the person by codice fiscale, for the services with an IO key; the webhook gets every
        // booking event (its recipient only names it in `sportello outbox`).
        if policy.sendsIO(forService: booking.slot.serviceID) {
            recipients.append((.io, booking.person.codiceFiscale))
        }
        recipients.append((.webhook, "webhook"))
        var queued = 0
        for (channel, recipient) in recipients where policy.sends(on: channel) && !recipient.isEmpty {
            let payload = booking.cancelReason.map { ["reason": $0] } ?? [:]
            let written = try enqueue(
                connection, kind: kind, channel: channel, recipient: recipient,
                bookingID: booking.id, language: booking.language, payload: payload,
                at: now, limits: policy.limits)
            if written { queued += 1 }
        }
        return queued
    }

    /// Queues a message about no booking to one contact (credentials, a one-time code), on the contact's channel
    /// whatever the comune's channels (the contact is what it proves), under the per-recipient `limits`.
    static func enqueuePersonMessage(
        _ connection: Connection, kind: NotificationKind, to contact: String,
        language: String, payload: [String: String], limits: LimitSettings,
        at now: Int64
    ) throws -> Int {
        guard !contact.isEmpty else { return 0 }
        let written = try enqueue(
            connection, kind: kind, channel: NotificationChannel(contact: contact),
            recipient: contact, bookingID: nil,
            language: language, payload: payload, at: now, limits: limits)
        return written ? 1 : 0
    }
}
