import Foundation
import SportelloCore

/// Requests of services that need the office's approval (docs/ARCHITECTURE.md §3 "Approval and staff-only services"): the clerk confirms
/// or refuses a pending request, and the expiry pass gives back the slots of requests nobody answered in time.
/// Each answer is one transaction that checks the request is still pending, so a confirmation racing the expiry
/// (or a second clerk) finds it answered and changes nothing.
extension BookingStore {
    /// The longest refusal reason kept and told to the citizen.
    public static let refusalReasonLimit = 500

    /// The office confirms a pending request: it becomes `booked` and the citizen gets the "approved" messages
    /// (with the calendar file). Throws `requestNotPending` when it was answered, expired or cancelled meanwhile.
    public func approve(
        code: String, now: Int64, actor: String, address: String, messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try answer(
            code: code, now: now, actor: actor, address: address, messages: messages, to: .booked,
            reason: nil, action: "approval.confirm", kind: .approved)
    }

    /// The office refuses a pending request with `reason` (told to the citizen, at most `refusalReasonLimit`
    /// characters): its slot is free again and the citizen gets the "refused" messages.
    public func refuse(
        code: String, reason: String, now: Int64, actor: String, address: String, messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<Booking> {
        try answer(
            code: code, now: now, actor: actor, address: address, messages: messages, to: .cancelledByOperator,
            reason: String(reason.prefix(Self.refusalReasonLimit)), action: "approval.refuse", kind: .refused)
    }

    /// Expires every request still pending whose expiry instant (`ApprovalSettings.expiresAt`, per service in
    /// `approvals`) has come: its slot is freed and the citizen gets the "expired" messages. A pending request of a
    /// service no longer needing approval expires at its start. Returns the expired bookings.
    public func expireRequests(
        approvals: [String: ApprovalSettings], now: Int64, messages: MessagePolicy = .silent
    ) throws(BookingError) -> Committed<[Booking]> {
        // Every tick asks; a reader answers "none due" without taking the writer's lock or syncing the disk.
        let anyDue: Bool
        do {
            anyDue = try database.read { try !dueRequests($0, approvals: approvals, now: now).isEmpty }
        } catch {
            throw .database(DatabaseError(error))
        }
        guard anyDue else { return Committed([], change: .none) }
        return try run { connection in
            let due = try dueRequests(connection, approvals: approvals, now: now)
            var expired: [Booking] = []
            var queued = 0
            for booking in due {
                let updated = try setAnswer(
                    connection, booking, to: .cancelledByOperator, reason: nil, now: now, actor: "system",
                    address: "", action: "approval.expire")
                queued += try Outbox.enqueueBookingMessages(
                    connection, kind: .expired, booking: updated, policy: messages, at: now)
                expired.append(updated)
            }
            return Committed(expired, change: StoreChange(slots: Set(expired.map(\.slot)), messagesQueued: queued))
        }
    }

    /// The pending requests whose expiry instant has come at `now`, in time order.
    private func dueRequests(
        _ connection: Connection, approvals: [String: ApprovalSettings], now: Int64
    ) throws -> [Booking] {
        let latestExpiryHours = approvals.values.map(\.expiresHoursBefore).max() ?? 0
        var due: [Booking] = []
        try connection.forEach(
            """
            SELECT \(Self.bookingColumns) FROM bookings
            WHERE state = '\(BookingState.pending.rawValue)' AND slot_start <= ?
            ORDER BY slot_start, id
            """, .int(now + Int64(latestExpiryHours) * 3_600)
        ) { row in
            let booking = Self.booking(row)
            let settings = approvals[booking.slot.serviceID] ?? ApprovalSettings(required: true, expiresHoursBefore: 0)
            if settings.hasExpired(slotStart: booking.slot.start, at: now) { due.append(booking) }
        }
        return due
    }

    /// Pending requests of these services whose appointment starts in [from, to), in time order.
    public func pendingRequests(serviceIDs: [String], from: Int64, to: Int64) throws(BookingError) -> [Booking] {
        try agenda(serviceIDs: serviceIDs, from: from, to: to).filter { $0.state.awaitsApproval }
    }

    private func answer(
        code: String, now: Int64, actor: String, address: String, messages: MessagePolicy, to state: BookingState,
        reason: String?, action: String, kind: NotificationKind
    ) throws(BookingError) -> Committed<Booking> {
        try run { connection in
            guard let booking = try booking(connection, where: "code = ?", .text(Self.normalizedCode(code))) else {
                throw BookingError.bookingNotFound
            }
            guard booking.state.awaitsApproval else { throw BookingError.requestNotPending }
            guard booking.slot.start > now else { throw BookingError.bookingInPast }
            let updated = try setAnswer(
                connection, booking, to: state, reason: reason, now: now, actor: actor, address: address,
                action: action)
            let queued = try Outbox.enqueueBookingMessages(
                connection, kind: kind, booking: updated, policy: messages, at: now)
            return Committed(updated, change: StoreChange(slots: [updated.slot], messagesQueued: queued))
        }
    }

    private func setAnswer(
        _ connection: Connection, _ booking: Booking, to state: BookingState, reason: String?, now: Int64,
        actor: String, address: String, action: String
    ) throws -> Booking {
        try connection.execute(
            "UPDATE bookings SET state = ?, cancel_reason = ?, updated_at = ? WHERE id = ? AND state = ?",
            .text(state.rawValue), SQLValue(reason), .int(now), .int(booking.id),
            .text(BookingState.pending.rawValue))
        guard connection.changes == 1 else { throw BookingError.requestNotPending }
        try audit(
            connection, now: now, actor: actor, action: action, subject: booking.code, address: address,
            details: reason)
        guard let updated = try self.booking(connection, where: "id = ?", .int(booking.id)) else {
            throw DatabaseError.inconsistent("booking vanished inside its own transaction")
        }
        return updated
    }
}
