import Foundation

extension BookingStore {
    /// A stranded-bookings check that found every upcoming booking still offered: what it checked against
    /// (a digest of the program and the configuration) and the highest booking id it read. A booking made
    /// later has a higher id; one made earlier was valid then and stays valid while the inputs are the same.
    public struct CleanStrandedCheck: Sendable, Equatable {
        /// Digest of the inputs the bookings were checked against, in hexadecimal.
        public let inputs: String
        /// The highest booking id when the check read the bookings (0: none yet).
        public let lastBookingID: Int64

        /// A clean check against `inputs` that had read the bookings up to `lastBookingID`.
        public init(inputs: String, lastBookingID: Int64) {
            self.inputs = inputs
            self.lastBookingID = lastBookingID
        }
    }

    /// The clean check recorded last, nil when none is (never checked, or the last check found some).
    public func lastCleanStrandedCheck() throws -> CleanStrandedCheck? {
        try database.read { connection in
            try connection.first("SELECT inputs, last_booking_id FROM stranded_check WHERE id = 1") { row in
                CleanStrandedCheck(inputs: row.text(0), lastBookingID: row.int(1))
            }
        }
    }

    /// Records `check` (nil: forgets the one recorded, after a check that found stranded bookings). Not
    /// durable: a record lost on a power cut only makes the next check read every booking again.
    public func recordStrandedCheck(_ check: CleanStrandedCheck?, now: Int64) throws {
        try database.write(durable: false) { connection in
            if let check {
                try connection.execute(
                    """
                    INSERT INTO stranded_check (id, inputs, last_booking_id, checked_at) VALUES (1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET inputs = excluded.inputs,
                        last_booking_id = excluded.last_booking_id, checked_at = excluded.checked_at
                    """,
                    .text(check.inputs), .int(check.lastBookingID), .int(now))
            } else {
                try connection.execute("DELETE FROM stranded_check")
            }
        }
    }

    /// Like `upcomingBookings(from:)`, only those with an id above `afterID`, with the highest booking id read
    /// in the same transaction (so no booking falls between the two).
    public func upcomingBookings(
        from now: Int64, afterID: Int64
    ) throws -> (bookings: [UpcomingBooking], lastBookingID: Int64) {
        try database.read { connection in
            let last = try connection.scalarInt("SELECT COALESCE(MAX(id), 0) FROM bookings")
            var result: [UpcomingBooking] = []
            // From the start: every upcoming booking, through the index on its start. After an id: `+slot_start`
            // keeps SQLite on the id range (the few new bookings) rather than on that index.
            try connection.forEach(
                afterID <= 0
                    ? """
                    SELECT code, service_id, slot_start, slot_end FROM bookings
                    WHERE state IN ('booked', 'pending') AND slot_start >= ?2 ORDER BY slot_start, code
                    """
                    : """
                    SELECT code, service_id, slot_start, slot_end FROM bookings
                    WHERE id > ?1 AND state IN ('booked', 'pending') AND +slot_start >= ?2 ORDER BY slot_start, code
                    """,
                .int(afterID), .int(now)
            ) { row in
                result.append(
                    UpcomingBooking(code: row.text(0), serviceID: row.text(1), start: row.int(2), end: row.int(3)))
            }
            return (result, last)
        }
    }
}
