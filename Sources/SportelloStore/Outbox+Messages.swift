import SportelloCore

/// The outbox rows each kind of change writes, from data the Store already has. Only the facts go in the row
/// (kind, channel, recipient, booking, language, a few values); the notifier composes the text at delivery.
extension Outbox {
    /// The booking events an office with `officeNotifications` is told of.
    static let officeEvents: Set<NotificationKind> = [.confirmed, .moved, .cancelled, .requested, .expired]

    /// Queues `kind` (`.confirmed`, `.cancelled`, `.moved`) about `booking` on every channel `policy` sends on
    /// that the booking has an address for, inside the change's transaction. A booking made for someone else
    /// also sends its presenter a copy, at the presenter's own contact; the service's office, when it has an
    /// `officeNotifications` address, one `.office` mail. `extra` goes into every row's payload (a move's `from`).
    /// Returns the rows written.
    static func enqueueBookingMessages(
        _ connection: Connection, kind: NotificationKind, booking: Booking,
        policy: MessagePolicy, at now: Int64, extra: [String: String] = [:]
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
        var payload = booking.cancelReason.map { ["reason": $0] } ?? [:]
        payload.merge(extra) { _, given in given }
        for (channel, recipient) in recipients where policy.sends(on: channel) && !recipient.isEmpty {
            let written = try enqueue(
                connection, kind: kind, channel: channel, recipient: recipient,
                bookingID: booking.id, language: booking.language, payload: payload,
                at: now, limits: policy.limits)
            if written { queued += 1 }
        }
        // The office reads its own mailbox: no per-recipient cap, which a busy day would reach by noon. It is told
        // what it did not do itself: not its own approvals and refusals.
        if Self.officeEvents.contains(kind), let office = policy.officeRecipient(serviceID: booking.slot.serviceID) {
            payload["event"] = kind.rawValue
            let written = try enqueue(
                connection, kind: .office, channel: .email, recipient: office, bookingID: booking.id,
                language: policy.officeLanguage, payload: payload, at: now)
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
