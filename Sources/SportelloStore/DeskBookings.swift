import SportelloCore

/// Holds and bookings of services whose desks are shared with other services of other lengths
/// (docs/ARCHITECTURE.md §3 "Desks"). The check and the insert happen in one write transaction: `claim` reads
/// the intervals already on the desks, `DeskAllocation.assign` picks the desk, the caller inserts the row with
/// its desk and end, all while the write lock is held, so two requests can never put overlapping intervals on
/// one desk. `BookingStore.placeHold` calls `claim` for a desk service; moving a booking calls it with the
/// moved booking excluded.
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
            let desk = try Self.claim(connection, DeskClaim(interval: interval, desks: desks), now: now)
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
            return try database.read { try Self.occupancy($0, desks: Set(desks), overlapping: range, now: now).all }
        } catch let error as BookingError {
            throw error
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// The busy intervals of `desks` overlapping `range` at instant `now`, by kind (bookings, live holds;
    /// blocks are laid by the caller, who knows which desks a block takes). Read from a snapshot.
    public func occupancy(
        desks: Set<DeskID>, overlapping range: DeskInterval, now: Int64
    ) throws(BookingError) -> DeskOccupancy {
        do {
            return try database.read { try Self.occupancy($0, desks: desks, overlapping: range, now: now) }
        } catch let error as BookingError {
            throw error
        } catch {
            throw .database(DatabaseError(error))
        }
    }

    /// The first of `claim.desks` free for all of `claim.interval` (bookings, live holds and the blocks of the
    /// services in `claim.blockDesks`), or `BookingError.slotFull`. Run it inside the write transaction that
    /// inserts the row, so the check and the insert are one step; `excludingBooking` is a booking whose own
    /// interval does not count (a booking being moved).
    static func claim(
        _ connection: Connection, _ claim: DeskClaim, now: Int64, excludingBooking: Int64? = nil
    ) throws -> DeskID {
        var busy = try occupancy(
            connection, desks: Set(claim.desks), overlapping: claim.interval, now: now,
            excludingBooking: excludingBooking)
        for (serviceID, serviceDesks) in claim.blockDesks.sorted(by: { $0.key < $1.key })
        where !Set(serviceDesks).isDisjoint(with: claim.desks) {
            try connection.forEach(
                """
                SELECT starts_at, ends_at, desks, desk FROM blocks
                WHERE service_id = ?1 AND starts_at < ?3 AND ends_at > ?2
                """,
                .text(serviceID), .int(claim.interval.start), .int(claim.interval.end)
            ) { row in
                if let span = DeskInterval(start: row.int(0), end: row.int(1)) {
                    busy.block(Int(row.int(2)), named: row.optionalText(3), of: serviceDesks, over: span)
                }
            }
        }
        guard let desk = DeskAllocation.assign(claim.interval, desks: claim.desks, occupied: busy.all) else {
            throw BookingError.slotFull
        }
        return desk
    }

    /// Occupied means what it means for a slot (docs/ARCHITECTURE.md §3): a booking in a state that occupies
    /// its place, or a hold neither released, confirmed nor expired. No desk interval is longer than the
    /// longest appointment, so the scan by (desk, start) starts that far before the range.
    static func occupancy(
        _ connection: Connection, desks: Set<DeskID>, overlapping range: DeskInterval, now: Int64,
        excludingBooking: Int64? = nil
    ) throws -> DeskOccupancy {
        let reach = Int64(SiteConfiguration.longestAppointmentMinutes) * 60
        var busy = DeskOccupancy()
        for desk in desks {
            try connection.forEach(
                """
                SELECT slot_start, slot_end, 1 FROM bookings
                WHERE desk = ?1 AND slot_start > ?2 - ?4 AND slot_start < ?3 AND slot_end > ?2
                  AND state IN \(BookingState.occupyingSQLList) AND id IS NOT ?6
                UNION ALL
                SELECT slot_start, slot_end, 0 FROM holds
                WHERE desk = ?1 AND slot_start > ?2 - ?4 AND slot_start < ?3 AND slot_end > ?2
                  AND \(HoldLiveness.sqlLive(at: "?5"))
                """, .text(desk.key), .int(range.start), .int(range.end), .int(reach), .int(now),
                SQLValue(excludingBooking)
            ) { row in
                guard let interval = DeskInterval(start: row.int(0), end: row.int(1)) else { return }
                if row.int(2) == 1 {
                    busy.booked[desk, default: []].append(interval)
                } else {
                    busy.held[desk, default: []].append(interval)
                }
            }
        }
        return busy
    }
}
