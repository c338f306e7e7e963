import Foundation
import SportelloCore

/// The transactional outbox: a notification row is written in the same transaction as the change that
/// causes it, then claimed, delivered and marked by a worker. Claims are leases, so a worker that dies
/// leaves nothing stuck; what happens to a message handed to sendmail when its worker dies is decided by
/// the delivery spool (see `Courier`).
public struct Outbox: Sendable {
    /// The database the outbox table lives in.
    public let database: Database

    /// An outbox over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    /// Adds a notification inside the caller's transaction. A `dedupeKey` already used makes this a no-op
    /// (reminders are queued by a periodic job and must be queued once).
    ///
    /// With `limits`, a message the comune must not pay for is left out (the change itself goes on, and the
    /// audit says why): an SMS to a country not listed, or past a recipient's daily cap. Whoever can make
    /// the site write to an address of their choice must not be able to make it write there without end.
    /// Returns whether a row was written.
    @discardableResult
    public static func enqueue(
        _ connection: Connection, kind: NotificationKind, channel: NotificationChannel,
        recipient: String, bookingID: Int64?,
        language: String, payload: [String: String] = [:], at now: Int64, dedupeKey: String? = nil,
        limits: LimitSettings? = nil
    ) throws -> Bool {
        // The comune's own webhook costs nothing and reaches no person: no daily cap.
        if let limits, channel != .webhook {
            let sms = channel == .sms
            var refusal: String?
            if sms && !limits.smsAllowed(to: recipient) {
                refusal = "SMS not sent: the number is not a mobile of a country in limits.smsCountryCodes"
            } else {
                let key =
                    sms
                    ? "sms:" + recipient.filter(\.isNumber)
                    : channel == .io ? "io:" + recipient.uppercased() : "mail:" + recipient.lowercased()
                if try Usage.take(
                    connection,
                    [DailyCap(key, limit: sms ? limits.smsPerRecipientPerDay : limits.mailPerRecipientPerDay)], now: now
                ) != nil {
                    let what = sms ? "SMS" : channel == .io ? "IO message" : "mail"
                    refusal = "\(what) not sent: the recipient's daily cap is reached"
                }
            }
            if let refusal {
                try AuditLog.record(
                    connection, at: now, actor: "notifications", action: "message.refused", subject: kind.rawValue,
                    address: "",
                    details: "\(refusal) (booking \(bookingID.map(String.init) ?? "none"))")
                return false
            }
        }
        try connection.execute(
            """
            INSERT OR IGNORE INTO outbox (kind, channel, recipient, payload, created_at,
                next_attempt_at, booking_id, language, dedupe_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, .text(kind.rawValue), .text(channel.rawValue), .text(recipient), .text(JSONWriter.string(payload)),
            .int(now), .int(now),
            SQLValue(bookingID), .text(language), SQLValue(dedupeKey))
        return connection.changes > 0
    }

    static let columns = """
        id, kind, channel, recipient, payload, booking_id, language, attempts, created_at, sent_at, dead, last_error,
        claimed_until,
        claimed_by, delivery_pid
        """

    /// A row as a message. A kind, channel or payload no version writes is an error, never a message skipped
    /// or sent as something else.
    static func message(_ row: Row) throws(DatabaseError) -> OutboxMessage {
        let id = row.int(0)
        guard let kind = NotificationKind(rawValue: row.text(1)) else {
            throw .inconsistent("outbox message \(id) has an unknown kind \"\(row.text(1))\"")
        }
        guard let channel = NotificationChannel(rawValue: row.text(2)) else {
            throw .inconsistent("outbox message \(id) has an unknown channel \"\(row.text(2))\"")
        }
        guard let payload = payload(row.text(4)) else {
            throw .inconsistent("outbox message \(id) has an unreadable payload")
        }
        return OutboxMessage(
            id: id, kind: kind, channel: channel, recipient: row.text(3), payload: payload,
            bookingID: row.optionalInt(5), language: row.optionalText(6) ?? "it", attempts: Int(row.int(7)),
            createdAt: row.int(8), sentAt: row.optionalInt(9), dead: row.int(10) != 0, lastError: row.optionalText(11),
            claimedUntil: row.optionalInt(12), claimedBy: row.optionalInt(13).map { Int32(truncatingIfNeeded: $0) },
            deliveryPID: row.optionalInt(14).map { Int32(truncatingIfNeeded: $0) })
    }

    /// Claims up to `?4` due messages in one statement (a statement per row cost the notifier more than the rest of
    /// its claim); RETURNING gives no order, so `next_attempt_at` comes last to sort them as they were chosen.
    private static let claimSQL = """
        UPDATE outbox SET claimed_until = ?1, claimed_by = ?2, delivery_pid = NULL
        WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND dead = 0 AND next_attempt_at <= ?3
                     AND (claimed_until IS NULL OR claimed_until < ?3) ORDER BY next_attempt_at, id LIMIT ?4)
        RETURNING \(columns), next_attempt_at
        """

    /// Claims up to `limit` due messages in one transaction (one disk flush for all of them). A row that cannot
    /// be read as a message (see `message(_:)`) is set aside as dead with the reason, and logged: it shows in
    /// `sportello outbox` and the health's dead count instead of stopping every delivery behind it.
    ///
    /// `sent`: messages delivered since the last claim, marked sent in the same transaction (see `markSent`), so
    /// a busy worker pays one durable commit per round, not one per message. A claim alone does not wait for the
    /// disk: it is a lease, and a message is never handed over twice because the courier checks the message's
    /// spool lock before it sends (see `Courier`), not because of this row.
    public func claimDue(
        now: Int64, lease: Int64, worker: Int32, limit: Int, markingSent sent: [Int64] = []
    ) throws -> [OutboxMessage] {
        try database.write(durable: !sent.isEmpty) { connection in
            try Self.markSent(connection, ids: sent, now: now)
            var claimed: [(due: Int64, message: OutboxMessage)] = []
            // Unreadable rows are set aside and not counted: claim again for the places they took.
            while claimed.count < limit {
                var rows: [(id: Int64, due: Int64, read: Result<OutboxMessage, DatabaseError>)] = []
                try connection.forEach(
                    Self.claimSQL, .int(now + lease), .int(Int64(worker)), .int(now), .int(Int64(limit - claimed.count))
                ) { row in
                    let read = Result { () throws(DatabaseError) in try Self.message(row) }
                    rows.append((row.int(0), row.int(Self.columnCount), read))
                }
                var unreadable = 0
                for row in rows {
                    switch row.read {
                    case .success(let message):
                        claimed.append((row.due, message))
                    case .failure(let error):
                        unreadable += 1
                        try connection.execute(
                            """
                            UPDATE outbox SET dead = 1, claimed_until = NULL, claimed_by = NULL, last_error = ?
                            WHERE id = ?
                            """, .text(error.message), .int(row.id))
                        Log.error("outbox_message_unreadable", ["id": .int(row.id), "error": .text(error.message)])
                    }
                }
                if unreadable == 0 { break }
            }
            return claimed.sorted { ($0.due, $0.message.id) < ($1.due, $1.message.id) }.map(\.message)
        }
    }

    /// The number of `columns`: the index of what a query selects after them.
    static let columnCount: Int32 = 15

    /// Records the process that now carries the message (the spool wrapper around sendmail). Only for the
    /// outbox listing: exactly-once rests on the spool's lock, never on this pid, so it need not wait for the
    /// disk (the message's next durable change flushes it).
    public func handedOff(id: Int64, to pid: Int32) throws {
        try database.write(durable: false) {
            try $0.execute("UPDATE outbox SET delivery_pid = ? WHERE id = ?", .int(Int64(pid)), .int(id))
        }
    }

    /// Marks a message delivered, once: a second call changes nothing. The successful attempt is counted (a sent
    /// message listed "attempts 0" before). Credentials are wiped from the row.
    public func markSent(id: Int64, now: Int64) throws {
        try markSent(ids: [id], now: now)
    }

    /// Marks every message in `ids` delivered (as `markSent(id:now:)`) in one transaction.
    public func markSent(ids: [Int64], now: Int64) throws {
        guard !ids.isEmpty else { return }
        try database.write { try Self.markSent($0, ids: ids, now: now) }
    }

    /// Marks every id in `ids` delivered in one statement (one per row cost more than the rest of a claim):
    /// the ids go in as one JSON list, read back by `json_each`.
    private static func markSent(_ connection: Connection, ids: [Int64], now: Int64) throws {
        guard !ids.isEmpty else { return }
        try connection.execute(
            """
            UPDATE outbox SET sent_at = ?, attempts = attempts + 1, claimed_until = NULL, delivery_pid = NULL,
                payload = CASE WHEN kind = '\(NotificationKind.credentials)' THEN '{}' ELSE payload END
            WHERE id IN (SELECT value FROM json_each(?)) AND sent_at IS NULL
            """, .int(now), .text("[" + ids.map(String.init).joined(separator: ",") + "]"))
    }

    /// Counts a failed attempt: retried after an exponential backoff (1 min, 2, 4… up to 6 h), dead after
    /// `maxAttempts`. Returns whether the message is now dead.
    @discardableResult
    public func markFailed(id: Int64, now: Int64, error: String, maxAttempts: Int) throws -> Bool {
        try database.write { connection in
            let attempts = try connection.scalarInt("SELECT attempts + 1 FROM outbox WHERE id = ?", .int(id))
            let delay = Self.retryDelay(afterAttempt: attempts)
            let dead = attempts >= Int64(maxAttempts)
            try connection.execute(
                """
                UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, dead = ?, claimed_until = NULL,
                    delivery_pid = NULL
                    , payload = CASE WHEN ? = 1 AND kind = '\(NotificationKind.credentials)' THEN '{}' ELSE payload END
                WHERE id = ? AND sent_at IS NULL
                """, .int(attempts), .int(now + delay), .text(String(error.prefix(500))), .int(dead ? 1 : 0),
                .int(dead ? 1 : 0), .int(id))
            return dead
        }
    }

    /// The wait after the `attempt`-th failure: 1 min, 2, 4… up to 6 h. `state` undoes the sum of these waits
    /// in SQL (`sinceFirstDue`) to tell how long a failing message has been waiting: keep the two together.
    static func retryDelay(afterAttempt attempt: Int64) -> Int64 {
        min(Int64(60) << min(max(attempt, 1) - 1, 20), 6 * 3_600)
    }

    /// When a message first became due: its next attempt minus every wait so far (60·(2^a − 1) s up to the
    /// 6-hour cap, reached at the 10th attempt). Never later than the real first due time, so the age is
    /// never overstated.
    static let sinceFirstDue =
        """
        next_attempt_at - CASE WHEN attempts <= 9 THEN 60 * ((1 << attempts) - 1) ELSE 30660 + (attempts - 9) * 21600 \
        END
        """

    /// Keeps a claim while its hand-over is still running.
    public func extendClaim(id: Int64, until: Int64) throws {
        try database.write {
            try $0.execute(
                "UPDATE outbox SET claimed_until = ? WHERE id = ? AND sent_at IS NULL", .int(until), .int(id))
        }
    }

    /// Gives a claim back without counting an attempt (its worker died before handing the message over).
    public func release(id: Int64) throws {
        try database.write {
            try $0.execute(
                """
                UPDATE outbox SET claimed_until = NULL, claimed_by = NULL, delivery_pid = NULL WHERE id = ? AND \
                sent_at IS NULL
                """,
                .int(id))
        }
    }

    /// The secret files that pending messages still need.
    public func pendingSecretFiles() throws -> Set<String> {
        try database.read { connection in
            var names: Set<String> = []
            try connection.forEach(
                """
                SELECT payload FROM outbox WHERE kind = '\(NotificationKind.credentials)' AND sent_at IS NULL AND dead \
                = 0
                """
            ) { row in
                if let name = try Self.secretFileName(row) { names.insert(name) }
            }
            return names
        }
    }

    private static func secretFileName(_ row: Row) throws(DatabaseError) -> String? {
        guard let payload = payload(row.text(0)) else {
            throw .inconsistent("an outbox message has an unreadable payload")
        }
        return payload[SecretFiles.payloadKey]
    }

    /// A stored payload (a JSON object of strings, as `enqueue` writes it); nil when it is not one.
    private static func payload(_ text: String) -> [String: String]? {
        // JSONSerialization's own error says no more than "not JSON": the caller names the row.
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String]
    }

    /// Messages claimed and not finished: what a restarted worker must look at first.
    public func unfinishedClaims() throws -> [OutboxMessage] {
        try database.read { connection in
            var messages: [OutboxMessage] = []
            try connection.forEach(
                """
                SELECT \(Self.columns) FROM outbox WHERE claimed_until IS NOT NULL AND sent_at IS NULL AND dead = 0 \
                ORDER BY id
                """
            ) {
                messages.append(try Self.message($0))
            }
            return messages
        }
    }

    /// The outbox for `sportello outbox`: pending and dead first, then the latest delivered.
    public func list(limit: Int = 200) throws -> [OutboxMessage] {
        try database.read { connection in
            var messages: [OutboxMessage] = []
            try connection.forEach(
                """
                SELECT \(Self.columns) FROM outbox ORDER BY (sent_at IS NOT NULL), id DESC LIMIT ?
                """, .int(Int64(limit))
            ) { messages.append(try Self.message($0)) }
            return messages
        }
    }

    /// Queues a reminder for every booking whose appointment starts within `hoursBefore` hours from now, once
    /// per booking and channel however often this runs. A booking made inside that window needs none. A moved
    /// booking (`sequence` > 0) is a new appointment to remind of: its key names its version.
    @discardableResult
    public func queueReminders(now: Int64, hoursBefore: Int, email: Bool, sms: Bool) throws -> Int {
        try database.write { connection in
            var queued = 0
            for (channel, column, enabled) in [(NotificationChannel.email, "email", email), (.sms, "phone", sms)]
            where enabled {
                try connection.execute(
                    """
                    INSERT OR IGNORE INTO outbox (kind, channel, recipient, payload, created_at,
                        next_attempt_at, booking_id, language, dedupe_key)
                    SELECT '\(NotificationKind.reminder)', ?1, \(column), '{}', ?2, ?2, id, COALESCE(language, 'it'),
                           'reminder:' || id || CASE WHEN sequence > 0 THEN '.' || sequence ELSE '' END || ':' || ?1
                    FROM bookings WHERE \(BookingState.sqlRemindable(at: "?2")) AND slot_start <= ?3
                      AND \(column) IS NOT NULL AND \(column) != ''
                      AND created_at < slot_start - ?4
                    """, .text(channel.rawValue), .int(now), .int(now + Int64(hoursBefore) * 3_600),
                    .int(Int64(hoursBefore) * 3_600))
                queued += connection.changes
            }
            return queued
        }
    }
}

extension Outbox {
    /// Backlog, dead messages and the age of the oldest one due, at `now`.
    public func state(now: Int64) throws -> OutboxState {
        try database.read { connection in
            let backlog = try connection.scalarInt("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dead = 0")
            let dead = try connection.scalarInt("SELECT count(*) FROM outbox WHERE dead = 1")
            // A message that keeps failing is due again only in its next retry, a few minutes ahead: counted from
            // when it first became due, so a broken mail program shows as stuck after 15 minutes, not never.
            let oldest =
                try connection.first(
                    """
                    SELECT min(\(Self.sinceFirstDue)) FROM outbox WHERE sent_at IS NULL AND dead = 0 AND (attempts > 0 \
                    OR next_attempt_at <= ?)
                    """,
                    .int(now)
                ) { $0.optionalInt(0) } ?? nil
            return OutboxState(
                backlog: Int(backlog), dead: Int(dead), oldestDueSeconds: oldest.map { max(0, now - $0) } ?? 0)
        }
    }
}
