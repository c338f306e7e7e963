import SportelloCore

/// Holds of services whose desks are shared with other services of other lengths (docs/ARCHITECTURE.md §3
/// "Desks"). The check and the insert happen in one write transaction: the intervals already on the desks
/// are read, `DeskAllocation.assign` picks the desk, the hold is inserted with its desk and end, all while
/// the write lock is held, so two requests can never put overlapping intervals on one desk.
///
/// Preview: the endpoint does not call this yet (the hold, confirm and move paths and the week pages are
/// to be wired), and operator blocks do not take desks yet.
public struct DeskBookings: Sendable {
    /// The database the holds and their desks live in.
    public let database: Database

    /// Desk bookings over `database` (migrated by the caller).
    public init(database: Database) { self.database = database }

    /// Places a hold of `serviceID` over `interval` on the first of `desks` free for all of it, or throws
    /// `.slotFull` (nothing written) when none is. Like every hold, it is not flushed to disk on its own.
    public func placeHold(
        serviceID: String, interval: DeskInterval, desks: [DeskID], now: Int64,
        expiresAt: Int64, clientIP: String
    ) throws(BookingError) -> DeskHold {
        try database.transaction(durable: false, storage: BookingError.database) { connection in
            let busy = try occupied(connection, desks: desks, overlapping: interval, now: now)
            guard let desk = DeskAllocation.assign(interval, desks: desks, occupied: busy) else {
                throw BookingError.slotFull
            }
            let token = Tokens.hex128()
            try connection.execute(
                """
                INSERT INTO holds (token, service_id, slot_start, slot_end, desk, created_at, expires_at, client_ip)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, .text(token), .text(serviceID), .int(interval.start), .int(interval.end), .text(desk.key),
                .int(now), .int(expiresAt), .text(clientIP))
            try AuditLog.record(
                connection, at: now, actor: "citizen", action: "hold",
                subject: "\(serviceID)@\(interval.start)", address: clientIP,
                details: "desk \(desk.key)")
            let hold = Hold(
                token: token, slot: SlotRef(serviceID: serviceID, start: interval.start),
                expiresAt: expiresAt, released: false, bookingID: nil)
            return DeskHold(hold: hold, desk: desk, interval: interval)
        }
    }

    /// The busy intervals of `desks` that overlap `range` at instant `now`, from every service using them:
    /// what `DeskAllocation.freeStarts` needs for a day or a week. Read from a snapshot, so a page may be a
    /// moment behind; `placeHold` checks again under the write lock.
    public func occupied(
        desks: [DeskID], overlapping range: DeskInterval,
        now: Int64
    ) throws(BookingError) -> [DeskID: [DeskInterval]] {
        do {
            return try database.read { try occupied($0, desks: desks, overlapping: range, now: now) }
        } catch let error as BookingError {
            throw error
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// Occupied means what it means for a slot (docs/ARCHITECTURE.md §3): a booking in a state that occupies
    /// its place, or a hold neither released, confirmed nor expired. No desk interval is longer than the
    /// longest appointment, so the scan by (desk, start) starts that far before the range.
    func occupied(
        _ connection: Connection, desks: [DeskID], overlapping range: DeskInterval,
        now: Int64
    ) throws -> [DeskID: [DeskInterval]] {
        let reach = Int64(SiteConfiguration.longestAppointmentMinutes) * 60
        var busy: [DeskID: [DeskInterval]] = [:]
        for desk in Set(desks) {
            var intervals: [DeskInterval] = []
            try connection.forEach(
                """
                SELECT slot_start, slot_end FROM bookings
                WHERE desk = ?1 AND slot_start > ?2 - ?4 AND slot_start < ?3 AND slot_end > ?2
                  AND state IN \(BookingState.occupyingSQLList)
                UNION ALL
                SELECT slot_start, slot_end FROM holds
                WHERE desk = ?1 AND slot_start > ?2 - ?4 AND slot_start < ?3 AND slot_end > ?2
                  AND \(HoldLiveness.sqlLive(at: "?5"))
                """, .text(desk.key), .int(range.start), .int(range.end), .int(reach), .int(now)
            ) { row in
                if let interval = DeskInterval(start: row.int(0), end: row.int(1)) { intervals.append(interval) }
            }
            if !intervals.isEmpty { busy[desk] = intervals }
        }
        return busy
    }
}
