/// What a notification tells. The raw value is what the outbox stores (`outbox.kind`) and names the message's
/// templates (`mail/<kind>.html`, `mail/<kind>.txt`) and texts (`mail.<kind>.*`, `sms.<kind>` in the i18n files).
public enum NotificationKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case confirmed, cancelled, reminder
    /// The one-time code that proves a contact before a booking.
    case contactCode
    /// A new password (registration or reset).
    case credentials
    /// Someone registered with a codice fiscale that already has an account.
    case accountExists
    /// An account was made with this person's codice fiscale (told to the contacts on their bookings).
    case accountCreated
    /// A booking moved to another time of the same service (the calendar file updates the event).
    case moved
    /// The office told of a new, moved or cancelled booking of its service (`officeNotifications`); the
    /// payload's `event` says which.
    case office
    /// A request for a service that needs approval was received; the office will confirm or refuse it.
    case requested
    /// The office confirmed a pending request: the appointment is booked (with its calendar file).
    case approved
    /// The office refused a pending request, with its reason.
    case refused
    /// Nobody answered a pending request in time: it expired and its slot is free again.
    case expired

    /// Whether the message is about a person's account or contact rather than about a booking.
    public var isAboutPerson: Bool {
        switch self {
        case .confirmed, .cancelled, .reminder, .moved, .office, .requested, .approved, .refused, .expired: false
        case .contactCode, .credentials, .accountExists, .accountCreated: true
        }
    }

    /// The raw value, as the outbox stores it and logs show it.
    public var description: String { rawValue }
}
