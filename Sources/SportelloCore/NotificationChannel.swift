/// How a notification travels. The raw value is what the outbox stores (`outbox.channel`).
public enum NotificationChannel: String, Sendable, CaseIterable, CustomStringConvertible {
    case email, sms
    /// App IO: the recipient is the person's codice fiscale (see `IOChannelSettings`).
    case io
    /// The comune's webhook (see `WebhookSettings`); the recipient names it only for the listing.
    case webhook

    /// The channel that reaches `contact`: an email address has an "@", anything else is a phone number.
    public init(contact: String) { self = contact.contains("@") ? .email : .sms }

    /// The raw value, as the outbox stores it and logs show it.
    public var description: String { rawValue }
}
