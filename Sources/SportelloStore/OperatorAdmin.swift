import Foundation

extension OperatorStore {
    /// Lets a disabled operator sign in again with the token they had.
    public func enable(name: String, now: Int64) throws(OperatorError) {
        try database.transaction(storage: OperatorError.database) { connection in
            try connection.execute(
                "UPDATE operators SET disabled_at = NULL WHERE name = ? AND disabled_at IS NOT NULL", .text(name))
            if connection.changes == 0 {
                if try connection.scalarInt("SELECT COUNT(*) FROM operators WHERE name = ?", .text(name)) == 0 {
                    throw OperatorError.unknownOperator
                }
                return
            }
            try AuditLog.record(
                connection, at: now, actor: "cli", action: "operator.enable", subject: name, address: "")
        }
    }

    /// A new token for an operator (lost or leaked): the old one stops working at once. Returns the new token,
    /// which cannot be shown again.
    public func replaceToken(name: String, now: Int64) throws(OperatorError) -> String {
        let secret = Tokens.hex128()
        let hash: String
        do { hash = try PasswordHasher.hash(secret) } catch { throw .database(DatabaseError(error)) }
        return try database.transaction(storage: OperatorError.database) { connection in
            guard
                let id = try connection.first(
                    "SELECT id FROM operators WHERE name = ?", .text(name), transform: { $0.int(0) })
            else {
                throw OperatorError.unknownOperator
            }
            try connection.execute("UPDATE operators SET token_hash = ? WHERE id = ?", .text(hash), .int(id))
            try AuditLog.record(connection, at: now, actor: "cli", action: "operator.token", subject: name, address: "")
            return "op\(id)-\(secret)"
        }
    }
}

extension OperatorError: CustomStringConvertible {
    /// The refusal in words for the command line, with what to do next.
    public var description: String {
        switch self {
        case .invalidName: "an operator name is 1 to 64 letters, digits, dots, dashes or underscores"
        case .nameTaken:
            "an operator with this name already exists (choose another name, or give this one a new token with: sportello operator token NAME)"
        case .unknownOperator: "there is no operator with this name (see: sportello operator list)"
        case .database(let error): "the database failed: \(error)"
        }
    }
}

/// One row of the audit log, for `sportello audit`.
public struct AuditEntry: Sendable, Equatable {
    /// When it happened, unix seconds.
    public let at: Int64
    /// Who did it ("cli", "operator:NAME", "citizen").
    public let actor: String
    /// What was done ("hold", "confirm", "operator.token", ...).
    public let action: String
    /// What it was done to (a slot, a booking code, an operator name).
    public let subject: String
}

extension Database {
    /// The audit log from `since`, oldest first, optionally one actor's (`cli`, `operator:anna`…); at most `limit` rows.
    public func auditEntries(since: Int64, actor: String?, limit: Int) throws -> [AuditEntry] {
        try read { connection in
            var entries: [AuditEntry] = []
            // The latest `limit` entries, oldest first: a year of bookings must not show its first 1,000 lines.
            try connection.forEach(
                """
                SELECT at, actor, action, subject FROM (SELECT rowid AS r, at, actor, action, subject FROM audit
                WHERE at >= ?1 AND (?2 IS NULL OR actor = ?2) ORDER BY at DESC, rowid DESC LIMIT ?3) ORDER BY at, r
                """,
                .int(since), SQLValue(actor), .int(Int64(max(0, limit)))
            ) { row in
                entries.append(
                    AuditEntry(at: row.int(0), actor: row.text(1), action: row.text(2), subject: row.text(3)))
            }
            return entries
        }
    }
}
