/// The append-only audit log: who ("citizen", "operator:<name>", "cli", "retention"), when, what, on what,
/// from which address. Rows are only ever inserted (the retention purge blanks old addresses).
enum AuditLog {
    static func record(
        _ connection: Connection, at: Int64, actor: String, action: String, subject: String, address: String,
        details: String? = nil
    ) throws {
        try connection.execute(
            "INSERT INTO audit (at, actor, action, subject, address, details) VALUES (?, ?, ?, ?, ?, ?)",
            .int(at), .text(actor), .text(action), .text(subject), .text(address), SQLValue(details))
    }
}

extension Database {
    /// `write`, with every failure reported as the caller's error type: its own errors pass through, any
    /// other (SQLite) failure is wrapped by `storage` as the `DatabaseError` it is.
    func transaction<T, Failure: Error>(
        durable: Bool = true, storage: (DatabaseError) -> Failure,
        _ body: (Connection) throws -> T
    ) throws(Failure) -> T {
        do {
            return try write(durable: durable, body)
        } catch let error as Failure {
            throw error
        } catch {
            throw storage(DatabaseError(error))
        }
    }
}
