import Foundation

/// How citizens are told: mail through the sendmail interface, SMS through any gateway command.
public struct NotificationSettings: Sendable, Equatable {
    /// The no-reply sender.
    public var from: String = "noreply@example.invalid"
    /// The sender's display name; nil = the comune's name.
    public var fromName: String?
    /// Whether messages go out by mail.
    public var email = true
    /// Run as `<sendmailPath> -t -i` with the message on standard input (sendmail, msmtp, Postfix, Exim…).
    public var sendmailPath = "/usr/sbin/sendmail"
    /// When set (`notifications.smtp`), mail is spoken over SMTP to this server (a local MTA that relays) by the
    /// courier, many messages per connection, instead of being handed to `sendmailPath` one process each.
    public var smtp: SMTPServerAddress?
    /// Whether messages go out by SMS (needs `smsCommand`).
    public var sms = false
    /// Run as `<command…> <mobile number>` with the text on standard input.
    public var smsCommand: [String] = []
    /// The reminder goes this many hours before the appointment; 0 = no reminders.
    public var reminderHoursBefore = 24
    /// Attempts before a message is given up (dead-lettered).
    public var maxAttempts = 8
    /// App IO, when configured (`notifications.io`).
    public var io: IOChannelSettings?
    /// The webhook, when configured (`notifications.webhook`).
    public var webhook: WebhookSettings?

    /// The defaults: mail through the system's sendmail, no SMS, reminders a day before.
    public init() {}
}
