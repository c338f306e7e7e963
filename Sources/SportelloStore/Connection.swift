import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// SQLite copies bound text at once.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with its prepared-statement cache. Only used inside `Database.read`/`write`,
/// which serialise access, so it is never shared between threads at the same time.
public final class Connection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, readOnly: Bool) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw DatabaseError(code: status, message: "\(message): \(path)", sql: "")
        }
        self.handle = handle
        // busy_timeout first, so that switching to WAL waits for another process instead of failing.
        try execute("PRAGMA busy_timeout = 5000")
        if !readOnly { try execute("PRAGMA journal_mode = WAL") }
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = FULL")
        // Erased personal data is overwritten in the file, not just unlinked from the b-tree.
        if !readOnly { try execute("PRAGMA secure_delete = ON") }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func error(_ status: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    private func prepared(_ sql: String, _ arguments: [SQLValue]) throws -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var fresh: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &fresh, nil)
            guard status == SQLITE_OK, let fresh else { throw error(status, sql) }
            statements[sql] = fresh
            statement = fresh
        }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            let status: Int32
            switch argument {
            case .int(let value): status = sqlite3_bind_int64(statement, position, value)
            case .double(let value): status = sqlite3_bind_double(statement, position, value)
            case .text(let value): status = sqlite3_bind_text(statement, position, value, -1, sqliteTransient)
            case .null: status = sqlite3_bind_null(statement, position)
            }
            guard status == SQLITE_OK else { throw error(status, sql) }
        }
        return statement
    }

    /// Runs a statement that returns no rows (or whose rows are ignored).
    public func execute(_ sql: String, _ arguments: SQLValue...) throws {
        try execute(sql, arguments: arguments)
    }

    /// Runs a statement with its arguments as an array (for callers that build the argument list).
    public func execute(_ sql: String, arguments: [SQLValue]) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        var status = sqlite3_step(statement)
        while status == SQLITE_ROW { status = sqlite3_step(statement) }
        guard status == SQLITE_DONE else { throw error(status, sql) }
    }

    /// Calls `body` for each row; the row is only valid during the call.
    public func forEach(_ sql: String, _ arguments: SQLValue..., body: (Row) throws -> Void) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error(status, sql) }
            try body(Row(statement: statement))
        }
    }

    /// The first row mapped by `transform`, or nil.
    public func first<T>(_ sql: String, _ arguments: SQLValue..., transform: (Row) throws -> T) throws -> T? {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        if status == SQLITE_DONE { return nil }
        guard status == SQLITE_ROW else { throw error(status, sql) }
        return try transform(Row(statement: statement))
    }

    /// The first column of the first row as an integer (`count(*)` and the like); no row is an error.
    public func scalarInt(_ sql: String, _ arguments: SQLValue...) throws -> Int64 {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW else {
            throw status == SQLITE_DONE ? DatabaseError(code: status, message: "no row", sql: sql) : error(status, sql)
        }
        return sqlite3_column_int64(statement, 0)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// Row id of the last INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs a script of several statements (migrations), without caching.
    func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        if status != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw DatabaseError(code: status, message: text, sql: sql)
        }
    }
}
