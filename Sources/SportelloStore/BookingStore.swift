import Foundation
import SportelloCore

/// Holds and bookings. Every change is one `BEGIN IMMEDIATE` transaction that checks, writes and audits,
/// so capacity can never be exceeded whatever the concurrency. Times are passed in, never read here.
public struct BookingStore: Sendable {
    /// The database holds and bookings live in.
    public let database: Database

    /// A booking store over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    static let occupyingStates = BookingState.occupyingSQLList

    func run<T>(durable: Bool = true, _ body: (Connection) throws -> T) throws(BookingError) -> T {
        try database.transaction(durable: durable, storage: BookingError.database, body)
    }

    func audit(
        _ connection: Connection, now: Int64, actor: String = "citizen", action: String, subject: String,
        address: String,
        details: String? = nil
    ) throws {
        try AuditLog.record(
            connection, at: now, actor: actor, action: action, subject: subject, address: address, details: details)
    }

    /// Desks taken at a slot: bookings that occupy it, holds still running, operator blocks. A move leaves out
    /// the booking being moved (`excluding`), so it never counts against its own new place.
    func occupied(_ connection: Connection, _ slot: SlotRef, now: Int64, excluding: Int64? = nil) throws -> Int64 {
        try connection.scalarInt(
            """
            SELECT (SELECT COUNT(*) FROM bookings
                    WHERE service_id = ?1 AND slot_start = ?2 AND state IN \(Self.occupyingStates)
                      AND (?4 IS NULL OR id <> ?4))
                 + (SELECT COUNT(*) FROM holds
                    WHERE service_id = ?1 AND slot_start = ?2 AND \(HoldLiveness.sqlLive(at: "?3")))
                 + (SELECT COALESCE(SUM(desks), 0) FROM blocks
                    WHERE service_id = ?1 AND starts_at <= ?2 AND ends_at > ?2)
            """, .text(slot.serviceID), .int(slot.start), .int(now), SQLValue(excluding))
    }

    /// Holds are not flushed to disk one by one: losing one on a power cut only frees its slot early.
    /// Places a hold for `client` (nil: no cap on live holds, none given back): its browser session's previous
    /// live holds are given back first (their slots are in the change, so their pages are re-rendered), then
    /// the client's live holds are counted, all in the transaction that inserts, so concurrent requests cannot
    /// go past the cap. A refusal changes nothing. With `desk` (a desk service), `capacity` is not used: the
    /// hold takes the first desk free for its whole interval (`DeskBookings.claim`), recorded with its end.
    public func placeHold(
        slot: SlotRef, capacity: Int, now: Int64, expiresAt: Int64, clientIP: String,
        client: HoldClient? = nil, desk deskClaim: DeskClaim? = nil
    ) throws(BookingError) -> Committed<Hold> {
        // Most attempts in a rush are for places already taken: a reader's snapshot refuses them without
        // queueing for the write lock. Only a refusal is decided here; a place that looks free is checked
        // again inside the write transaction.
        // A failed read only skips this shortcut: the write transaction below checks again and reports its own error.
        if let deskClaim {
            let looksFull: Bool? = try? database.read { connection in
                do {
                    _ = try DeskBookings.claim(connection, deskClaim, now: now)
                    return false
                } catch BookingError.slotFull {
                    return true
                }
            }
            if looksFull == true { throw .slotFull }
        } else {
            let seen = (try? database.read { try occupied($0, slot, now: now) }) ?? 0
            if seen >= Int64(capacity) { throw .slotFull }
        }
        return try run(durable: false) { connection in
            var released: [SlotRef] = []
            if let session = client?.session {
                try connection.forEach(
                    """
                    UPDATE holds SET released = 1 WHERE session = ?1 AND \(HoldLiveness.sqlLive(at: "?2"))
                    RETURNING service_id, slot_start
                    """, .text(session), .int(now)
                ) { released.append(SlotRef(serviceID: $0.text(0), start: $0.int(1))) }
                for previous in released {
                    try audit(
                        connection, now: now, action: "release", subject: "\(previous.serviceID)@\(previous.start)",
                        address: clientIP,
                        details: "replaced by a new hold of the same browser")
                }
            }
            let desk = try deskClaim.map { try DeskBookings.claim(connection, $0, now: now) }
            if deskClaim == nil, try occupied(connection, slot, now: now) >= Int64(capacity) {
                throw BookingError.slotFull
            }
            if let client, client.limit > 0 {
                let (live, first) =
                    try connection.first(
                        """
                        SELECT COUNT(*), MIN(expires_at) FROM holds
                        WHERE client_key = ?1 AND \(HoldLiveness.sqlLive(at: "?2"))
                        """, .text(client.key), .int(now)
                    ) { ($0.int(0), $0.optionalInt(1)) } ?? (0, nil)
                if !BookingLimits.allowsAnotherHold(liveHolds: Int(live), limit: client.limit) {
                    throw BookingError.tooManyHolds(until: first ?? expiresAt)
                }
            }
            let token = Tokens.hex128()
            try connection.execute(
                """
                INSERT INTO holds (token, service_id, slot_start, created_at, expires_at, client_ip, client_key,
                    session, desk, slot_end)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, .text(token), .text(slot.serviceID), .int(slot.start), .int(now), .int(expiresAt), .text(clientIP),
                SQLValue(client?.key), SQLValue(client?.session), SQLValue(desk?.key),
                SQLValue(deskClaim?.interval.end))
            try audit(
                connection, now: now, action: "hold", subject: "\(slot.serviceID)@\(slot.start)", address: clientIP,
                details: desk.map { "desk \($0.key)" })
            return Committed(
                Hold(token: token, slot: slot, expiresAt: expiresAt, released: false, bookingID: nil),
                change: StoreChange(slots: Set(released).union([slot])))
        }
    }

    /// The hold with this token, live or not (nil when no hold has it).
    public func hold(token: String) throws(BookingError) -> Hold? {
        do {
            return try database.read { connection in
                try hold(connection, token: token)
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    private func hold(_ connection: Connection, token: String) throws -> Hold? {
        try connection.first(
            "SELECT service_id, slot_start, expires_at, released, booking_id FROM holds WHERE token = ?", .text(token)
        ) {
            Hold(
                token: token, slot: SlotRef(serviceID: $0.text(0), start: $0.int(1)), expiresAt: $0.int(2),
                released: $0.int(3) != 0, bookingID: $0.optionalInt(4))
        }
    }

    /// Gives a held slot back at once ("Annulla"). Releasing twice, or after expiry, is fine.
    @discardableResult
    public func releaseHold(token: String, now: Int64, clientIP: String) throws(BookingError) -> Committed<Hold> {
        try run(durable: false) { connection in
            guard let hold = try hold(connection, token: token) else { throw BookingError.holdNotFound }
            if hold.bookingID == nil {
                try connection.execute("UPDATE holds SET released = 1 WHERE token = ?", .text(token))
                try audit(
                    connection, now: now, action: "release", subject: "\(hold.slot.serviceID)@\(hold.slot.start)",
                    address: clientIP)
            }
            let released = Hold(
                token: hold.token, slot: hold.slot, expiresAt: hold.expiresAt,
                released: hold.bookingID == nil || hold.released, bookingID: hold.bookingID)
            return Committed(released, change: StoreChange(slots: [hold.slot]))
        }
    }

    /// Turns an active hold into a booking. Confirming the same hold again returns the same booking (and
    /// changes nothing). `policy` decides the per-person limit, the no-show rule and the "confirmed" messages,
    /// queued in the same transaction; `caps` are daily budgets counted in it too (refused: nothing happens).
    /// `accountID` is the local account making it; `proof` what its maker proved (it decides which earlier
    /// bookings the per-person limit and the no-show rule count).
    public func confirm(
        holdToken: String, person: PersonDetails, slotEnd: Int64, now: Int64, clientIP: String,
        policy: BookingPolicy = BookingPolicy(), caps: [DailyCap] = [], language: String = "it",
        accountID: Int64? = nil, proof: BookingProof = .none, approval: ApprovalSettings? = nil,
        actor: String = "citizen"
    )
        throws(BookingError) -> Committed<Booking>
    {
        // A service that needs approval makes a request: pending, its slot kept, "richiesta ricevuta" sent.
        let state: BookingState = approval?.required == true ? .pending : .booked
        return try run { connection in
            guard let hold = try hold(connection, token: holdToken) else { throw BookingError.holdNotFound }
            if let bookingID = hold.bookingID, let booking = try booking(connection, where: "id = ?", .int(bookingID)) {
                return Committed(booking, change: .none)
            }
            if hold.released { throw BookingError.holdReleased }
            if hold.hasRunOut(at: now) { throw BookingError.holdExpired }
            if let noShowPolicy = policy.noShow,
                let until = try noShowBlock(
                    connection, codiceFiscale: person.codiceFiscale, policy: noShowPolicy, now: now, proof: proof)
            {
                throw BookingError.noShowBlocked(until: until)
            }
            if let limit = policy.maxActiveBookingsPerPerson {
                let active = try Self.activeBookingCount(
                    connection, codiceFiscale: person.codiceFiscale, serviceID: hold.slot.serviceID, proof: proof,
                    now: now)
                if !BookingLimits.allowsAnotherBooking(activeBookings: active, limit: limit) {
                    throw BookingError.personLimitReached
                }
            }
            var code = Tokens.bookingCode()
            for attempt in 0..<8 {
                do {
                    try connection.execute(
                        """
                        INSERT INTO bookings (code, hold_token, service_id, slot_start, slot_end, state, created_at,
                            updated_at,
                            given_name, family_name, codice_fiscale, email, phone, notes, presenter_codice_fiscale,
                            presenter_name)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, .text(code), .text(holdToken), .text(hold.slot.serviceID), .int(hold.slot.start),
                        .int(slotEnd), .text(state.rawValue), .int(now), .int(now),
                        .text(person.givenName), .text(person.familyName), .text(person.codiceFiscale),
                        .text(person.email),
                        .text(person.phone), SQLValue(person.notes), SQLValue(person.presenterCodiceFiscale),
                        SQLValue(person.presenterName))
                    break
                } catch let error as DatabaseError where error.isConstraintViolation && attempt < 7 {
                    code = Tokens.bookingCode()  // the rare code collision
                }
            }
            let id = connection.lastInsertRowID
            try connection.execute("UPDATE holds SET booking_id = ? WHERE token = ?", .int(id), .text(holdToken))
            try Self.storeExtraFields(connection, bookingID: id, answers: person.extraFields)
            try connection.execute(
                """
                UPDATE bookings SET language = ?, account_id = ?, proof = ?, presenter_contact = ?,
                    desk = (SELECT desk FROM holds WHERE token = ?) WHERE id = ?
                """,
                .text(language),
                SQLValue(accountID), .int(proof.level), SQLValue(person.presenterContact), .text(holdToken), .int(id))
            try audit(
                connection, now: now, actor: actor, action: state == .pending ? "request" : "book", subject: code,
                address: clientIP)
            guard let booking = try booking(connection, where: "id = ?", .int(id)) else {
                throw DatabaseError.inconsistent("booking vanished inside its own transaction")
            }
            if let until = try Usage.take(connection, caps, now: now) {
                throw BookingError.dailyLimitReached(until: until)
            }
            let queued = try Outbox.enqueueBookingMessages(
                connection, kind: state == .pending ? .requested : .confirmed, booking: booking,
                policy: policy.messages,
                at: now)
            return Committed(booking, change: StoreChange(slots: [booking.slot], messagesQueued: queued))
        }
    }

    /// Cancels a booking for its citizen, queuing the "cancelled" messages `messages` sends. An unknown code and a
    /// wrong codice fiscale give the same answer.
    public func cancel(
        code: String, codiceFiscale: String, now: Int64, clientIP: String,
        messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try cancel(
            code: code, now: now, clientIP: clientIP, allowed: { Self.matches($0, codiceFiscale) },
            messages: messages)
    }

    /// Cancels a booking a signed-in citizen may act on (see `BookingViewer`); any other is "not found".
    public func cancel(
        code: String, viewer: BookingViewer, now: Int64, clientIP: String,
        messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try cancel(code: code, now: now, clientIP: clientIP, allowed: viewer.mayAct, messages: messages)
    }

    private func cancel(
        code: String, now: Int64, clientIP: String, allowed: (Booking) -> Bool,
        messages: MessagePolicy
    ) throws(BookingError) -> Committed<Booking> {
        let code = Self.normalizedCode(code)
        return try run { connection in
            guard let booking = try booking(connection, where: "code = ?", .text(code)), allowed(booking) else {
                throw BookingError.bookingNotFound
            }
            if booking.state == .cancelledByCitizen || booking.state == .cancelledByOperator {
                return Committed(booking, change: .none)
            }
            guard booking.state.isActive(slotStart: booking.slot.start, at: now) else {
                throw BookingError.bookingInPast
            }
            try connection.execute(
                "UPDATE bookings SET state = 'cancelled_by_citizen', updated_at = ? WHERE id = ?", .int(now),
                .int(booking.id))
            try audit(connection, now: now, action: "cancel", subject: booking.code, address: clientIP)
            guard let updated = try self.booking(connection, where: "id = ?", .int(booking.id)) else {
                throw DatabaseError.inconsistent("booking vanished inside its own transaction")
            }
            let queued = try Outbox.enqueueBookingMessages(
                connection, kind: .cancelled, booking: updated,
                policy: messages, at: now)
            return Committed(updated, change: StoreChange(slots: [updated.slot], messagesQueued: queued))
        }
    }

    /// The booking with this code for this codice fiscale: both are needed, so a code alone reveals nothing.
    public func booking(code: String, codiceFiscale: String) throws(BookingError) -> Booking? {
        do {
            return try database.read { connection in
                guard let booking = try booking(connection, where: "code = ?", .text(Self.normalizedCode(code))),
                    Self.matches(booking, codiceFiscale)
                else { return nil }
                return booking
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// A booking a signed-in citizen may see (see `BookingViewer`), or nil.
    public func booking(code: String, viewer: BookingViewer) throws(BookingError) -> Booking? {
        do {
            return try database.read { connection in
                guard let booking = try booking(connection, where: "code = ?", .text(Self.normalizedCode(code))),
                    viewer.mayAct(on: booking)
                else {
                    return nil
                }
                return booking
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// A signed-in citizen's bookings, newest appointment first (at most 500): see `BookingViewer` for which.
    public func bookings(visibleTo viewer: BookingViewer) throws(BookingError) -> [Booking] {
        let (condition, arguments) = viewer.condition
        do {
            return try database.read { connection in
                var bookings: [Booking] = []
                let sql =
                    """
                    SELECT \(Self.bookingColumns) FROM bookings WHERE \(condition) ORDER BY slot_start DESC, id DESC \
                    LIMIT 500
                    """
                switch arguments.count {
                case 1: try connection.forEach(sql, arguments[0]) { bookings.append(Self.booking($0)) }
                default:
                    try connection.forEach(sql, arguments[0], arguments[1], arguments[2]) {
                        bookings.append(Self.booking($0))
                    }
                }
                return bookings
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// A booking code as typed (spaces, lower case) in the stored form.
    public static func normalizedCode(_ code: String) -> String {
        code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    }

    static func matches(_ booking: Booking, _ codiceFiscale: String) -> Bool {
        let given = Array(codiceFiscale.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().utf8)
        return Tokens.constantTimeEqual(given, Array(booking.person.codiceFiscale.utf8))
            || booking.person.presenterCodiceFiscale.map { Tokens.constantTimeEqual(given, Array($0.utf8)) } == true
    }

    static let bookingColumns = """
        id, code, service_id, slot_start, slot_end, state, created_at, given_name, family_name, codice_fiscale,
        email, phone,
        notes, presenter_codice_fiscale, presenter_name, cancel_reason, language, account_id, proof, email,
        presenter_contact, sequence, desk
        """

    /// A booking from a row of `bookingColumns`. Erased personal data reads as empty text.
    static func booking(_ row: Row) -> Booking {
        var booking = Booking(
            id: row.int(0), code: row.text(1), slot: SlotRef(serviceID: row.text(2), start: row.int(3)),
            slotEnd: row.int(4),
            state: BookingState(rawValue: row.text(5)) ?? .booked, createdAt: row.int(6),
            person: PersonDetails(
                givenName: row.optionalText(7) ?? "", familyName: row.optionalText(8) ?? "",
                codiceFiscale: row.optionalText(9) ?? "", email: row.optionalText(10) ?? "",
                phone: row.optionalText(11) ?? "", notes: row.optionalText(12),
                presenterCodiceFiscale: row.optionalText(13),
                presenterName: row.optionalText(14)),
            cancelReason: row.optionalText(15), language: row.optionalText(16) ?? "it", accountID: row.optionalInt(17),
            proof: proof(level: row.int(18), contact: row.optionalText(19) ?? ""))
        booking.person.presenterContact = row.optionalText(20)
        booking.sequence = Int(row.int(21))
        booking.desk = row.optionalText(22)
        return booking
    }

    static func proof(level: Int64, contact: String) -> BookingProof {
        switch level {
        case 2: .certified
        case 1: .contact(contact)
        default: .none
        }
    }

    func booking(_ connection: Connection, where condition: String, _ argument: SQLValue) throws -> Booking? {
        try connection.first(
            "SELECT \(Self.bookingColumns) FROM bookings WHERE \(condition)", argument, transform: Self.booking)
    }

    /// How the desks of each slot starting in [from, to) are taken, per service. Two grouped queries,
    /// no per-slot round trips: the generator asks this for every service at once.
    public func occupancy(
        serviceID: String?, from: Int64, to: Int64, now: Int64
    ) throws -> [String: [Int64: SlotOccupancy]] {
        try database.read { connection in
            var result: [String: [Int64: SlotOccupancy]] = [:]
            // One service: its (service_id, slot_start) index reads just that service's rows. Written out
            // rather than `(? IS NULL OR service_id = ?)`, which keeps the planner off that index.
            let bookings =
                serviceID == nil
                ? """
                SELECT service_id, slot_start, COUNT(*) FROM bookings WHERE slot_start >= ?1 AND slot_start < ?2 \
                AND state IN \(Self.occupyingStates) AND ?3 IS NULL AND ?4 IS NOT NULL GROUP BY service_id, \
                slot_start
                """
                : """
                SELECT service_id, slot_start, COUNT(*) FROM bookings WHERE service_id = ?3 AND slot_start >= ?1 \
                AND slot_start < ?2 AND state IN \(Self.occupyingStates) AND ?4 IS NOT NULL GROUP BY slot_start
                """
            let holds =
                serviceID == nil
                ? """
                SELECT service_id, slot_start, COUNT(*) FROM holds WHERE slot_start >= ?1 AND slot_start < ?2 AND \
                \(HoldLiveness.sqlLive(at: "?4")) AND ?3 IS NULL GROUP BY service_id, slot_start
                """
                : """
                SELECT service_id, slot_start, COUNT(*) FROM holds WHERE service_id = ?3 AND slot_start >= ?1 AND \
                slot_start < ?2 AND \(HoldLiveness.sqlLive(at: "?4")) GROUP BY slot_start
                """
            // Every statement names all four parameters (binding one a statement lacks is an error).
            try connection.forEach(bookings, .int(from), .int(to), SQLValue(serviceID), .int(now)) { row in
                result[row.text(0), default: [:]][row.int(1), default: .empty].booked = Int(row.int(2))
            }
            try connection.forEach(holds, .int(from), .int(to), SQLValue(serviceID), .int(now)) { row in
                result[row.text(0), default: [:]][row.int(1), default: .empty].held = Int(row.int(2))
            }
            return result
        }
    }

    /// Slots whose holds ran out in (from, to]: their pages must show them free again.
    public func slotsOfHoldsExpired(between from: Int64, and to: Int64) throws -> [SlotRef] {
        try database.read { connection in
            var slots: Set<SlotRef> = []
            // `HoldLiveness.ranOut`: live at `from`, not running at `to`.
            try connection.forEach(
                """
                SELECT service_id, slot_start FROM holds
                WHERE \(HoldLiveness.sqlLive(at: "?1")) AND \(HoldLiveness.sqlNotRunning(at: "?2"))
                """, .int(from), .int(to)
            ) { slots.insert(SlotRef(serviceID: $0.text(0), start: $0.int(1))) }
            return Array(slots)
        }
    }
}
