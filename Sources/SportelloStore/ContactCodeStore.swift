import Foundation
import SportelloCore

/// One-time codes that prove a booking's contact before the booking is confirmed (the summary step, within
/// the hold). One row per hold: the contact the code went to, its yescrypt hash, when it was sent, the
/// wrong attempts. Codes are 6 digits; a few wrong ones end the hold, so guessing does not pay.
public struct ContactCodeStore: Sendable {
    /// The database the codes live in, beside the holds they belong to.
    public let database: Database

    /// A code store over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    /// Wrong codes before the hold is given back.
    public static let maximumAttempts = 5
    /// A new code for the same hold no sooner than this after the last one.
    public static let resendSeconds: Int64 = 60

    /// What asking for a code did.
    public enum Issue: Sendable, Equatable {
        /// A new code went out (`onIssued` queued it).
        case sent
        /// A code for this contact is already out; nothing new was sent.
        case alreadySent
        /// A new code was asked for too soon: this many seconds to wait.
        case tooSoon(Int64)
        /// The last code went to another contact moments ago: a code for this one after this many seconds.
        case tooSoonForNewContact(Int64)
    }

    /// What checking a typed code found.
    public enum Check: Sendable, Equatable {
        case verified
        /// Wrong, missing, or for another contact; this many attempts are left.
        case wrong(remaining: Int)
        /// Too many wrong codes: the hold must be given back.
        case exhausted
    }

    /// A random 6-digit code, zero-padded.
    public static func generateCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next(upperBound: UInt64(1_000_000))
        let digits = String(value)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Sends a code for `contact` unless one for it is already out (`resend`: a new one, after the cool-down).
    /// Changing the contact sends a new code, also only after the cool-down: otherwise switching back and forth
    /// between two contacts would send a message at every step, to someone else's mailbox or phone. Wrong
    /// attempts carry over, so switching contacts does not reset the count. The message with the code is queued
    /// in the same transaction, under `limits` (the per-recipient caps and the SMS countries, like every other
    /// message: changing the contact on the same hold skips the resend cool-down).
    public func issue(
        holdToken: String, contact: String, now: Int64, resend: Bool, language: String = "it",
        limits: LimitSettings = LimitSettings()
    ) throws(BookingError) -> Committed<Issue> {
        let code = Self.generateCode()
        let hash: String
        do { hash = try PasswordHasher.hash(code) } catch { throw .database(DatabaseError(error)) }
        return try database.transaction(storage: BookingError.database) { connection in
            let existing = try connection.first(
                "SELECT contact, sent_at FROM contact_codes WHERE hold_token = ?", .text(holdToken)
            ) {
                ($0.text(0), $0.int(1))
            }
            if let (sentTo, sentAt) = existing {
                if sentTo == contact && !resend { return Committed(.alreadySent, change: .none) }
                if now < sentAt + Self.resendSeconds {
                    let wait = sentAt + Self.resendSeconds - now
                    return Committed(sentTo == contact ? .tooSoon(wait) : .tooSoonForNewContact(wait), change: .none)
                }
                try connection.execute(
                    """
                    UPDATE contact_codes SET contact = ?, code_hash = ?, sent_at = ?, verified = 0 WHERE hold_token = \
                    ?
                    """,
                    .text(contact), .text(hash), .int(now), .text(holdToken))
            } else {
                try connection.execute(
                    "INSERT INTO contact_codes (hold_token, contact, code_hash, sent_at) VALUES (?, ?, ?, ?)",
                    .text(holdToken), .text(contact), .text(hash), .int(now))
            }
            let queued = try Outbox.enqueuePersonMessage(
                connection, kind: .contactCode, to: contact,
                language: language, payload: ["code": code], limits: limits,
                at: now)
            return Committed(.sent, change: StoreChange(messagesQueued: queued))
        }
    }

    /// Checks a typed code against the one sent to `contact` for this hold.
    public func check(holdToken: String, contact: String, code: String) throws(BookingError) -> Check {
        let typed = code.filter(\.isNumber)
        let row: (String, String, Int64, Bool)?
        do {
            row = try database.read { connection in
                try connection.first(
                    "SELECT contact, code_hash, attempts, verified FROM contact_codes WHERE hold_token = ?",
                    .text(holdToken)
                ) {
                    ($0.text(0), $0.text(1), $0.int(2), $0.int(3) != 0)
                }
            }
        } catch {
            throw .database(DatabaseError(error))
        }
        guard let (sentTo, hash, attempts, verified) = row else { return .wrong(remaining: Self.maximumAttempts) }
        if attempts >= Int64(Self.maximumAttempts) { return .exhausted }
        // No code typed is no guess: a form sent before the code arrived costs no attempt.
        if typed.isEmpty && !(verified && sentTo == contact) {
            return .wrong(remaining: Self.maximumAttempts - Int(attempts))
        }
        if sentTo == contact && (verified || (typed.count == 6 && PasswordHasher.verify(typed, hash: hash))) {
            if !verified {
                try database.transaction(storage: BookingError.database) { connection in
                    try connection.execute(
                        "UPDATE contact_codes SET verified = 1 WHERE hold_token = ?", .text(holdToken))
                }
            }
            return .verified
        }
        let used = try database.transaction(storage: BookingError.database) { connection in
            try connection.execute(
                "UPDATE contact_codes SET attempts = attempts + 1 WHERE hold_token = ?", .text(holdToken))
            return try connection.scalarInt("SELECT attempts FROM contact_codes WHERE hold_token = ?", .text(holdToken))
        }
        return used >= Int64(Self.maximumAttempts) ? .exhausted : .wrong(remaining: Self.maximumAttempts - Int(used))
    }
}
