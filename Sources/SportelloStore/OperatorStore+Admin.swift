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
