import Foundation
import SportelloCore
import Testing

@testable import SportelloStore

/// Kinds and channels are stored as their raw values; a value no version writes is an error reported, never a
/// message skipped, defaulted or sent as something else.
@Suite struct OutboxVocabularyTests {
    let now: Int64 = 1_800_000_000

    func withOutbox(_ body: (Outbox) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        try body(Outbox(database: try Database(path: path)))
    }

    func insertRow(_ outbox: Outbox, kind: String, channel: String, payload: String = "{}") throws {
        try outbox.database.write { connection in
            try connection.execute(
                """
                INSERT INTO outbox (kind, channel, recipient, payload, created_at, next_attempt_at, language)
                VALUES (?, ?, 'anna@example.it', ?, ?, ?, 'it')
                """, .text(kind), .text(channel), .text(payload), .int(now), .int(now))
        }
    }

    @Test func kindsAndChannelsAreStoredAsTheirRawValues() throws {
        try withOutbox { outbox in
            for kind in NotificationKind.allCases {
                for channel in NotificationChannel.allCases {
                    _ = try outbox.database.write { connection in
                        try Outbox.enqueue(
                            connection, kind: kind, channel: channel, recipient: "anna@example.it",
                            bookingID: nil, language: "it", at: now)
                    }
                }
            }
            let stored = try outbox.database.read { connection in
                var pairs: [String] = []
                try connection.forEach("SELECT kind, channel FROM outbox ORDER BY id") {
                    pairs.append("\($0.text(0)) \($0.text(1))")
                }
                return pairs
            }
            let expected = NotificationKind.allCases.flatMap { kind in
                NotificationChannel.allCases.map { "\(kind.rawValue) \($0.rawValue)" }
            }
            #expect(stored == expected)
            #expect(try outbox.list().count == NotificationKind.allCases.count * NotificationChannel.allCases.count)
        }
    }

    @Test func anUnknownKindChannelOrPayloadIsAnErrorNotAMessage() throws {
        let rows = [("bogus", "email", "{}"), ("confirmed", "fax", "{}"), ("confirmed", "email", "not json")]
        for (kind, channel, payload) in rows {
            try withOutbox { outbox in
                try insertRow(outbox, kind: kind, channel: channel, payload: payload)
                #expect(throws: DatabaseError.self) { try outbox.list() }
            }
        }
    }

    @Test func anUnreadableDueMessageIsSetAsideAsDeadWithItsReasonAndTheOthersGoOn() throws {
        try withOutbox { outbox in
            try insertRow(outbox, kind: "bogus", channel: "email")
            _ = try outbox.database.write { connection in
                try Outbox.enqueue(
                    connection, kind: .confirmed, channel: .email, recipient: "anna@example.it",
                    bookingID: nil, language: "it", at: now)
            }
            let claimed = try outbox.claimDue(now: now, lease: 60, worker: 1, limit: 10)
            #expect(claimed.map(\.kind) == [.confirmed])
            let (dead, reason) =
                try outbox.database.read { connection in
                    try connection.first("SELECT dead, last_error FROM outbox WHERE kind = 'bogus'") {
                        ($0.int(0), $0.optionalText(1) ?? "")
                    }
                } ?? (0, "")
            #expect(dead == 1 && reason.contains("unknown kind \"bogus\""), "\(reason)")
            #expect(try outbox.state(now: now).dead == 1)
        }
    }
}
