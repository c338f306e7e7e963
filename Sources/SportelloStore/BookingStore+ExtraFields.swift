import Foundation
import SportelloCore

/// The answers to a service's extra form fields (`ExtraField`), one row each in `booking_fields`: written with the
/// booking, read for the operator's agenda and its CSV, erased by `purge` with the rest of the personal data.
extension BookingStore {
    static func storeExtraFields(_ connection: Connection, bookingID: Int64, answers: [String: String]) throws {
        for (field, value) in answers.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            try connection.execute(
                "INSERT INTO booking_fields (booking_id, field_id, value) VALUES (?, ?, ?)", .int(bookingID),
                .text(field), .text(value))
        }
    }

    /// The answers of the bookings with `codes`, by booking code, then by field id.
    public func extraFields(codes: [String]) throws(BookingError) -> [String: [String: String]] {
        guard !codes.isEmpty else { return [:] }
        do {
            return try database.read { connection in
                var answers: [String: [String: String]] = [:]
                // One parameter however many codes: a JSON list, read back by json_each.
                let list = JSONWriter.string(codes)
                try connection.forEach(
                    """
                    SELECT b.code, f.field_id, f.value FROM booking_fields f JOIN bookings b ON b.id = f.booking_id
                    WHERE b.code IN (SELECT value FROM json_each(?))
                    """, .text(list)
                ) { row in answers[row.text(0), default: [:]][row.text(1)] = row.text(2) }
                return answers
            }
        } catch {
            throw .database(DatabaseError(error))
        }
    }
}
