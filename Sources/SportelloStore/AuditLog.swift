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
