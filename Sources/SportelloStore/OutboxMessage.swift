import Foundation
import SportelloCore

/// A notification waiting in (or delivered from) the outbox.
public struct OutboxMessage: Sendable, Equatable {
    /// The row id, to mark it delivered or failed.
    public let id: Int64
    /// Which message it is (confirmation, reminder, ...): picks the template.
    public let kind: NotificationKind
    /// Email or SMS.
    public let channel: NotificationChannel
    /// The address or number it goes to.
    public let recipient: String
    /// Values the template fills in (never a secret: see `SecretFiles`).
    public let payload: [String: String]
    /// The booking it is about, if any.
    public let bookingID: Int64?
    /// The language to write it in.
    public let language: String
    /// Delivery attempts so far.
    public let attempts: Int
    /// When it was queued, unix seconds.
    public let createdAt: Int64
    /// When it was delivered (nil while not).
    public let sentAt: Int64?
    /// Given up on after its last attempt.
    public let dead: Bool
    /// Why the last attempt failed.
    public let lastError: String?
    /// Until when a worker's claim (lease) on it lasts.
    public let claimedUntil: Int64?
    /// The process that claimed it.
    public let claimedBy: Int32?
    /// The sendmail process it was handed to, so a restarted worker can tell whether it finished.
    public let deliveryPID: Int32?
}

extension OutboxMessage {
    /// The same message with `extra` added to its payload (a secret read from its file just before sending).
    public func adding(_ extra: [String: String]) -> OutboxMessage {
        OutboxMessage(
            id: id, kind: kind, channel: channel, recipient: recipient, payload: payload.merging(extra) { $1 },
            bookingID: bookingID,
            language: language, attempts: attempts, createdAt: createdAt, sentAt: sentAt, dead: dead,
            lastError: lastError,
            claimedUntil: claimedUntil, claimedBy: claimedBy, deliveryPID: deliveryPID)
    }
}
