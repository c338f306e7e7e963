import Foundation
import SportelloCore

/// Moving a booking to another time of its service (issue 18 point 2, docs/ARCHITECTURE.md §4 "Moving").
extension BookingStore {
    /// Moves a booking for its citizen, found by code and codice fiscale (an unknown code and a wrong codice
    /// fiscale give the same answer). See `move(code:to:capacity:desk:now:actor:address:messages:allowed:)`.
    public func move(
        code: String, codiceFiscale: String, to start: Int64, capacity: Int, desk: DeskClaim? = nil, now: Int64,
        clientIP: String, messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try move(
            code: code, to: start, capacity: capacity, desk: desk, now: now, actor: "citizen",
            address: clientIP, messages: messages, allowed: { Self.matches($0, codiceFiscale) })
    }

    /// Moves a booking a signed-in citizen may act on (see `BookingViewer`); any other is "not found".
    public func move(
        code: String, viewer: BookingViewer, to start: Int64, capacity: Int, desk: DeskClaim? = nil, now: Int64,
        clientIP: String, messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try move(
            code: code, to: start, capacity: capacity, desk: desk, now: now, actor: "citizen",
            address: clientIP, messages: messages, allowed: viewer.mayAct)
    }

    /// Moves a booking for the office (`actor` is the operator, as in the audit log).
    public func moveByOperator(
        code: String, to start: Int64, capacity: Int, desk: DeskClaim? = nil, now: Int64, actor: String,
        address: String,
        messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try move(
            code: code, to: start, capacity: capacity, desk: desk, now: now, actor: actor, address: address,
            messages: messages, allowed: { _ in true })
    }

    /// One transaction: the new start of the same service is taken with the check a new hold passes
    /// (`occupied`: bookings, live holds and operator blocks against `capacity`, or for a desk service a free
    /// desk over the whole new interval, `DeskBookings.claim`; the moved booking left out),
    /// and only then is the old one given back, by the same update. The booking keeps its id, code, person and
    /// length; its calendar `sequence` goes up by one; the "moved" messages carry the old start (`from`).
    /// Only an active booking (booked, not started) moves; the per-person limit and the daily caps are not
    /// counted again (the person still has one booking). A move to the time it already has changes nothing, so
    /// a form sent twice moves once and tells once.
    private func move(
        code: String, to start: Int64, capacity: Int, desk deskClaim: DeskClaim?, now: Int64, actor: String,
        address: String, messages: MessagePolicy, allowed: (Booking) -> Bool
    ) throws(BookingError) -> Committed<Booking> {
        let code = Self.normalizedCode(code)
        return try run { connection in
            guard let booking = try booking(connection, where: "code = ?", .text(code)), allowed(booking) else {
                throw BookingError.bookingNotFound
            }
            guard booking.state.isActive(slotStart: booking.slot.start, at: now) else {
                throw BookingError.bookingNotMovable
            }
            if booking.slot.start == start { return Committed(booking, change: .none) }
            // The new time must itself be ahead: the caller checked it against the service, this keeps the rule.
            guard start > now else { throw BookingError.slotFull }
            let slotEnd = start + (booking.slotEnd - booking.slot.start)
            let target = SlotRef(serviceID: booking.slot.serviceID, start: start)
            // A desk service's new interval must fit on one of its desks, the moved booking's own left out
            // (`DeskBookings.claim`, the check a new hold passes); any other service counts places.
            let desk = try deskClaim.map {
                try DeskBookings.claim(connection, $0, now: now, excludingBooking: booking.id)
            }
            if deskClaim == nil, try occupied(connection, target, now: now, excluding: booking.id) >= Int64(capacity) {
                throw BookingError.slotFull
            }
            try connection.execute(
                """
                UPDATE bookings SET slot_start = ?, slot_end = ?, sequence = sequence + 1, updated_at = ?,
                    desk = coalesce(?, desk)
                WHERE id = ?
                """, .int(start), .int(slotEnd), .int(now), SQLValue(desk?.key), .int(booking.id))
            try audit(
                connection, now: now, actor: actor, action: "move", subject: booking.code, address: address,
                details: "\(RomeTime.iso8601(booking.slot.start)) → \(RomeTime.iso8601(start))")
            guard let moved = try self.booking(connection, where: "id = ?", .int(booking.id)) else {
                throw DatabaseError.inconsistent("booking vanished inside its own transaction")
            }
            let queued = try Outbox.enqueueBookingMessages(
                connection, kind: .moved, booking: moved, policy: messages, at: now,
                extra: ["from": String(booking.slot.start)])
            return Committed(moved, change: StoreChange(slots: [booking.slot, moved.slot], messagesQueued: queued))
        }
    }
}
