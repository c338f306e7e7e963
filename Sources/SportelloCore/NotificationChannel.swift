/// How a notification travels. The raw value is what the outbox stores (`outbox.channel`).
public enum NotificationChannel: String, Sendable, CaseIterable, CustomStringConvertible {
    case email, sms

    /// The channel that reaches `contact`: an email address has an "@", anything else is a phone number.
    public init(contact: String) { self = contact.contains("@") ? .email : .sms }

    /// The raw value, as the outbox stores it and logs show it.
    public var description: String { rawValue }
}
