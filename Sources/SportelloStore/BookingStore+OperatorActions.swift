import CSQLite
import Foundation
import SportelloCore

/// The office's side of the store: agenda, outcomes, cancellations by operator, unavailability, the
/// no-show rule, statistics and the retention purge. Every change is one transaction with its audit row.
extension BookingStore {
    /// Every booking of these services whose appointment starts in [from, to), in time order, in any state.
    public func agenda(serviceIDs: [String], from: Int64, to: Int64) throws(BookingError) -> [Booking] {
        do {
            return try database.read { connection in
                var bookings: [Booking] = []
                try connection.forEach(
                    """
                    SELECT \(Self.bookingColumns) FROM bookings
                    WHERE slot_start >= ? AND slot_start < ? AND service_id IN (SELECT value FROM json_each(?))
                    ORDER BY slot_start, service_id, id
                    """, .int(from), .int(to), .text(Self.jsonArray(serviceIDs))
                ) { bookings.append(Self.booking($0)) }
                return bookings
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// The booking with this code, for an operator (no codice fiscale needed).
    public func booking(code: String) throws(BookingError) -> Booking? {
        do {
            return try database.read { connection in
                try booking(connection, where: "code = ?", .text(Self.normalizedCode(code)))
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// The booking with this id, whatever its state (nil when none).
    public func booking(id: Int64) throws -> Booking? {
        try database.read { connection in try booking(connection, where: "id = ?", .int(id)) }
    }

    /// Marks an appointment done or the citizen absent, once it has started.
    public func recordOutcome(
        code: String, outcome: Outcome, now: Int64, actor: String,
        address: String
    ) throws(BookingError) -> Committed<Booking> {
        try run { connection in
            guard let booking = try booking(connection, where: "code = ?", .text(Self.normalizedCode(code))) else {
                throw BookingError.bookingNotFound
            }
            if booking.state == outcome.state { return Committed(booking, change: .none) }
            guard booking.state.acceptsOutcome else { throw BookingError.bookingNotActive }
            guard booking.slot.start <= now else { throw BookingError.outcomeTooEarly }
            try connection.execute(
                "UPDATE bookings SET state = ?, outcome_at = ?, updated_at = ? WHERE id = ?",
                .text(outcome.state.rawValue), .int(now), .int(now), .int(booking.id))
            try audit(
                connection, now: now, actor: actor, action: "outcome.\(outcome.rawValue)", subject: booking.code,
                address: address)
            guard let updated = try self.booking(connection, where: "id = ?", .int(booking.id)) else {
                throw DatabaseError.inconsistent("booking vanished inside its own transaction")
            }
            return Committed(updated, change: StoreChange(slots: [updated.slot]))
        }
    }

    /// Cancels a future booking for the office, with a reason the citizen is told. The slot reopens unless
    /// `keepClosed`, which blocks its desk instead (the very desk the booking had, for a desk service). The citizen's "cancelled" messages go out as `messages` says.
    public func cancelByOperator(
        code: String, reason: String, keepClosed: Bool, now: Int64, actor: String, address: String,
        messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try run { connection in
            guard let booking = try booking(connection, where: "code = ?", .text(Self.normalizedCode(code))) else {
                throw BookingError.bookingNotFound
            }
            guard booking.state == .booked else { throw BookingError.bookingNotActive }
            guard booking.slot.start > now else { throw BookingError.bookingInPast }
            try cancel(connection, booking, reason: reason, now: now, actor: actor, address: address)
            var blocks: [Block] = []
            if keepClosed {
                blocks.append(
                    try insertBlock(
                        connection, serviceID: booking.slot.serviceID,
                        startsAt: booking.slot.start, endsAt: booking.slotEnd, desks: 1, desk: booking.desk,
                        reason: reason, now: now,
                        actor: actor, address: address))
            }
            guard let updated = try self.booking(connection, where: "id = ?", .int(booking.id)) else {
                throw DatabaseError.inconsistent("booking vanished inside its own transaction")
            }
            let queued = try Outbox.enqueueBookingMessages(
                connection, kind: .cancelled, booking: updated,
                policy: messages, at: now)
            let change = StoreChange(slots: [updated.slot], blocks: blocks, messagesQueued: queued)
            return Committed(updated, change: change)
        }
    }

    private func cancel(
        _ connection: Connection, _ booking: Booking, reason: String, now: Int64, actor: String, address: String
    ) throws {
        try connection.execute(
            "UPDATE bookings SET state = 'cancelled_by_operator', cancel_reason = ?, updated_at = ? WHERE id = ?",
            .text(reason), .int(now), .int(booking.id))
        try audit(
            connection, now: now, actor: actor, action: "cancel.operator", subject: booking.code, address: address,
            details: reason)
    }

    /// Takes `desks` desks of a service out for [startsAt, endsAt), or, with `desk`, that one desk (its store
    /// key) for every service sharing it. Returns the block and the future bookings inside it (of the service; of
    /// the named desk, whatever service, over any overlap) — cancelled (with `reason`, and the "cancelled"
    /// messages `messages` sends) when `cancelAffected`, otherwise left for the office to handle.
    public func addBlock(
        serviceID: String, startsAt: Int64, endsAt: Int64, desks: Int, desk: DeskID? = nil, reason: String?,
        cancelAffected: Bool, now: Int64, actor: String, address: String,
        messages: MessagePolicy = .silent
    )
        throws(BookingError) -> Committed<(block: Block, affected: [Booking])>
    {
        try run { connection in
            let block = try insertBlock(
                connection, serviceID: serviceID, startsAt: startsAt, endsAt: endsAt, desks: desk == nil ? desks : 1,
                desk: desk?.key, reason: reason, now: now, actor: actor, address: address)
            var affected: [Booking] = []
            var queued = 0
            if let desk {
                try connection.forEach(
                    """
                    SELECT \(Self.bookingColumns) FROM bookings
                    WHERE desk = ?1 AND slot_start < ?3 AND slot_end > ?2 AND slot_start >= ?4
                      AND \(BookingState.sqlActive(at: "?4"))
                    ORDER BY slot_start
                    """, .text(desk.key), .int(startsAt), .int(endsAt), .int(now)
                ) { affected.append(Self.booking($0)) }
            } else {
                try connection.forEach(
                    """
                    SELECT \(Self.bookingColumns) FROM bookings
                    WHERE service_id = ?1 AND slot_start >= ?2 AND slot_start < ?3 AND \(BookingState.sqlActive(at: "?4"))
                    ORDER BY slot_start
                    """, .text(serviceID), .int(startsAt), .int(endsAt), .int(now)
                ) { affected.append(Self.booking($0)) }
            }
            if cancelAffected {
                for booking in affected {
                    try cancel(
                        connection, booking, reason: reason ?? "operatore non disponibile", now: now, actor: actor,
                        address: address)
                }
                affected = try affected.compactMap { try self.booking(connection, where: "id = ?", .int($0.id)) }
                for booking in affected {
                    queued += try Outbox.enqueueBookingMessages(
                        connection, kind: .cancelled, booking: booking,
                        policy: messages, at: now)
                }
            }
            return Committed((block, affected), change: StoreChange(blocks: [block], messagesQueued: queued))
        }
    }

    private func insertBlock(
        _ connection: Connection, serviceID: String, startsAt: Int64, endsAt: Int64, desks: Int, desk: String?,
        reason: String?, now: Int64, actor: String, address: String
    ) throws -> Block {
        try connection.execute(
            """
            INSERT INTO blocks (service_id, starts_at, ends_at, desks, reason, created_at, created_by, desk)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, .text(serviceID), .int(startsAt), .int(endsAt), .int(Int64(desks)), SQLValue(reason), .int(now),
            .text(actor), SQLValue(desk))
        let id = connection.lastInsertRowID
        try audit(
            connection, now: now, actor: actor, action: "block.add", subject: "block:\(id)", address: address,
            details: "\(serviceID) \(startsAt)-\(endsAt) " + (desk.map { "desk \($0)" } ?? "desks \(desks)"))
        return Block(
            id: id, serviceID: serviceID, startsAt: startsAt, endsAt: endsAt, desks: desks, reason: reason,
            createdBy: actor, desk: desk)
    }

    /// Ends an unavailability; its slots are bookable again.
    public func removeBlock(
        id: Int64, now: Int64, actor: String, address: String
    )
        throws(BookingError) -> Committed<Block>
    {
        try run { connection in
            guard
                let block = try connection.first(
                    """
                    SELECT id, service_id, starts_at, ends_at, desks, reason, created_by, desk FROM blocks WHERE id = ?
                    """, .int(id), transform: Self.block)
            else { throw BookingError.blockNotFound }
            try connection.execute("DELETE FROM blocks WHERE id = ?", .int(id))
            try audit(
                connection, now: now, actor: actor, action: "block.remove", subject: "block:\(id)", address: address)
            return Committed(block, change: StoreChange(blocks: [block]))
        }
    }

    /// Blocks overlapping [from, to), of one service or of all.
    public func blocks(serviceID: String?, from: Int64, to: Int64) throws -> [Block] {
        try database.read { connection in
            var blocks: [Block] = []
            try connection.forEach(
                """
                SELECT id, service_id, starts_at, ends_at, desks, reason, created_by, desk FROM blocks
                WHERE starts_at < ?2 AND ends_at > ?1 AND (?3 IS NULL OR service_id = ?3) ORDER BY starts_at, id
                """, .int(from), .int(to), SQLValue(serviceID)
            ) { blocks.append(Self.block($0)) }
            return blocks
        }
    }

    static func block(_ row: Row) -> Block {
        Block(
            id: row.int(0), serviceID: row.text(1), startsAt: row.int(2), endsAt: row.int(3), desks: Int(row.int(4)),
            reason: row.optionalText(5), createdBy: row.optionalText(6), desk: row.optionalText(7))
    }

    /// When the no-show rule (`NoShowPolicy.blockedUntil`) bars this codice fiscale, the instant it may book
    /// again. With a proof, only the absences that proof reaches count (see `BookingProof.matching`): a
    /// stranger's bookings in someone's name do not bar them.
    func noShowBlock(
        _ connection: Connection, codiceFiscale: String, policy: NoShowPolicy, now: Int64,
        proof: BookingProof = .none
    ) throws -> Int64? {
        var absences: [Int64] = []
        let (condition, argument) = proof.matching(presented: true)
        try connection.forEach(
            """
            SELECT slot_start FROM bookings WHERE state = 'absent' AND \(condition)
              AND slot_start > ?2 AND slot_start <= ?3 ORDER BY slot_start LIMIT 1000
            """, .text(codiceFiscale), .int(policy.lookbackStart(now: now)), .int(now), argument
        ) {
            absences.append($0.int(0))
        }
        return policy.blockedUntil(absences: absences, now: now)
    }

    /// Per service: bookings whose appointment falls in [from, to), by state, no-show rate and lead time.
    public func statistics(from: Int64, to: Int64) throws -> [ServiceStatistics] {
        try database.read { connection in
            var rows: [ServiceStatistics] = []
            try connection.forEach(
                """
                SELECT service_id, COUNT(*),
                       SUM(state = 'done'), SUM(state = 'absent'),
                       SUM(state = 'cancelled_by_citizen'), SUM(state = 'cancelled_by_operator'),
                       AVG(slot_start - created_at) / 86400.0
                FROM bookings WHERE slot_start >= ? AND slot_start < ? GROUP BY service_id ORDER BY service_id
                """, .int(from), .int(to)
            ) { row in
                rows.append(
                    ServiceStatistics(
                        serviceID: row.text(0), bookings: Int(row.int(1)), done: Int(row.int(2)),
                        absent: Int(row.int(3)),
                        cancelledByCitizen: Int(row.int(4)), cancelledByOperator: Int(row.int(5)),
                        meanLeadDays: row.double(6)))
            }
            return rows
        }
    }

    /// Erases the personal data of bookings whose appointment ended before `before` (names, codice fiscale,
    /// contacts, notes, the presenter), drops their holds, the client addresses of older audit rows and
    /// older notifications. States, services, times and codes stay, so statistics still add up. Deleted bytes are
    /// overwritten (`secure_delete`) and the write-ahead log is emptied afterwards.
    public func purge(before: Int64, now: Int64, actor: String) throws(BookingError) -> PurgeReport {
        // Erasing up to a future instant would erase appointments still to come.
        guard before <= now else {
            throw .database(
                DatabaseError(
                    code: SQLITE_MISUSE, message: "refusing to purge up to an instant in the future",
                    sql: ""))
        }
        let report = try run { connection in
            var report = PurgeReport()
            try connection.execute(
                """
                UPDATE bookings SET given_name = NULL, family_name = NULL, codice_fiscale = NULL, email = NULL,
                    phone = NULL, notes = NULL,
                    presenter_codice_fiscale = NULL, presenter_name = NULL, cancel_reason = NULL,
                    presenter_contact = NULL, anonymized_at = ?
                WHERE slot_end < ? AND anonymized_at IS NULL
                """, .int(now), .int(before))
            report.bookingsErased = connection.changes
            // The answers to extra form fields are personal data too.
            try connection.execute(
                """
                DELETE FROM booking_fields WHERE booking_id IN (SELECT id FROM bookings WHERE anonymized_at IS NOT NULL)
                """)
            // Holds keep the client's address; once confirmed, released or expired (no longer live) they serve
            // no purpose.
            try connection.execute(
                "DELETE FROM holds WHERE slot_start < ?1 AND NOT (\(HoldLiveness.sqlLive(at: "?2")))",
                .int(before), .int(now))
            report.holdsDeleted = connection.changes
            try connection.execute(
                """
                UPDATE audit SET address = NULL, details = NULL WHERE at < ? AND (address IS NOT NULL OR details IS \
                NOT NULL)
                """,
                .int(before))
            report.auditAddressesErased = connection.changes
            // Account events name the codice fiscale; past the period the event stays, the person goes.
            try connection.execute(
                "UPDATE audit SET subject = NULL WHERE at < ? AND action LIKE 'account.%' AND subject IS NOT NULL",
                .int(before))
            report.auditAddressesErased += connection.changes
            // Accounts nobody has signed in to for the whole period (their sessions and lockouts go with them).
            // Rowids of deleted accounts can be given again: their bookings must not pass to a newcomer.
            try connection.execute(
                """
                UPDATE bookings SET account_id = NULL
                WHERE account_id IN (SELECT id FROM accounts WHERE COALESCE(last_used_at, created_at) < ?)
                """, .int(before))
            try connection.execute("DELETE FROM accounts WHERE COALESCE(last_used_at, created_at) < ?", .int(before))
            report.accountsErased = connection.changes
            try connection.execute("DELETE FROM contact_codes WHERE sent_at < ?", .int(before))
            // Notifications carry addresses; any older than the limit has long been delivered or given up.
            try connection.execute("DELETE FROM outbox WHERE created_at < ?", .int(before))
            report.outboxDeleted = connection.changes
            // Daily counts keyed by contact.
            try connection.execute("DELETE FROM usage WHERE day < ?", .int(Usage.day(of: before).day))
            try audit(
                connection, now: now, actor: actor, action: "purge", subject: "before:\(before)", address: "",
                details: "\(report.bookingsErased) bookings")
            return report
        }
        do { try database.checkpoint() } catch { throw .database(DatabaseError(error)) }
        return report
    }

    static func jsonArray(_ values: [String]) -> String {
        JSONWriter.string(values)
    }
}
