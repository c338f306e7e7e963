import SportelloCore
import SportelloStore

extension OperatorDesk {
    /// The booking with this code, when its service is in the operator's scope.
    func bookingInScope(code: String) throws(Failure) -> Booking {
        try authorize(code: code)
        let booking: Booking?
        do { booking = try store.booking(code: code) } catch { throw .booking(error) }
        guard let booking else { throw .booking(.bookingNotFound) }
        return booking
    }

    /// Moves a booking `bookingInScope` returned to `start` of its service (`BookingStore.moveByOperator`); the
    /// citizen's "moved" messages go out as `messages` says.
    func move(
        code: String, to start: Int64, capacity: Int, deskClaim: DeskClaim?, now: Int64
    ) throws(BookingError) -> Committed<Booking> {
        try store.moveByOperator(
            code: code, to: start, capacity: capacity, desk: deskClaim, now: now, actor: account.actor,
            address: address, messages: messages)
    }
}
