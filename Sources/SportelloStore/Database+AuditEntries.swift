import Foundation

extension Database {
    /// The audit log from `since`, oldest first, optionally one actor's (`cli`, `operator:anna`…); at most `limit`
    /// rows.
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
