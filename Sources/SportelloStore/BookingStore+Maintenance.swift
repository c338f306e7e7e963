import CSQLite
import Foundation
import Glibc

extension BookingStore {
    /// A confirmed appointment still to come, as `check --database` needs it: no personal data.
    public struct UpcomingBooking: Sendable, Equatable {
        /// The booking code, to look the booking up.
        public let code: String
        /// The catalogue id of its service.
        public let serviceID: String
        /// Start of the appointment, unix seconds.
        public let start: Int64
        /// End of the appointment, unix seconds.
        public let end: Int64
    }

    /// Confirmed bookings and pending requests starting at or after `now` (bounded: the check reads at most
    /// `limit`).
    public func upcomingBookings(from now: Int64, limit: Int = 1_000_000) throws -> [UpcomingBooking] {
        try database.read { connection in
            var result: [UpcomingBooking] = []
            try connection.forEach(
                """
                SELECT code, service_id, slot_start, slot_end FROM bookings
                WHERE state IN ('booked', 'pending') AND slot_start >= ? ORDER BY slot_start, code LIMIT ?
                """,
                .int(now), .int(Int64(limit))
            ) { row in
                result.append(
                    UpcomingBooking(code: row.text(0), serviceID: row.text(1), start: row.int(2), end: row.int(3)))
            }
            return result
        }
    }
}

extension BookingStore {
    /// How many bookings `purge(before:)` would anonymise, for `purge --dry-run`.
    public func purgeCandidates(before: Int64) throws -> Int {
        try database.read {
            Int(
                try $0.scalarInt(
                    "SELECT COUNT(*) FROM bookings WHERE slot_end < ? AND anonymized_at IS NULL", .int(before)))
        }
    }
}
