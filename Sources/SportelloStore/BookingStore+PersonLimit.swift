import Foundation
import SportelloCore

/// The per-person limit (`booking.maxActiveBookingsPerPerson`), counted one way for the decision inside
/// `confirm`'s transaction and for telling the person early, as soon as they are known.
extension BookingStore {
    /// How many active bookings of `serviceID` the limit counts for `codiceFiscale` at `now`, as `proof` reaches
    /// them (`BookingProof.matching`).
    static func activeBookingCount(
        _ connection: Connection, codiceFiscale: String, serviceID: String, proof: BookingProof, now: Int64
    ) throws -> Int {
        let (condition, argument) = proof.matching(presented: false)
        return Int(
            try connection.scalarInt(
                """
                SELECT COUNT(*) FROM bookings WHERE \(condition)
                  AND service_id = ?2 AND \(BookingState.sqlActive(at: "?3"))
                """, .text(codiceFiscale), .text(serviceID), .int(now), argument))
    }

    /// Whether `codiceFiscale` already has as many active bookings of `serviceID` as `policy` allows. A read, to
    /// tell the person before they type everything; `confirm` decides again in its write transaction.
    public func personLimitReached(
        codiceFiscale: String, serviceID: String, proof: BookingProof, policy: BookingPolicy, now: Int64
    ) throws(BookingError) -> Bool {
        guard let limit = policy.maxActiveBookingsPerPerson else { return false }
        do {
            let active = try database.read { connection in
                try Self.activeBookingCount(
                    connection, codiceFiscale: codiceFiscale, serviceID: serviceID, proof: proof, now: now)
            }
            return !BookingLimits.allowsAnotherBooking(activeBookings: active, limit: limit)
        } catch {
            throw .database(DatabaseError(error))
        }
    }
}
