import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the database (SQLite, or the disk under it). It stays this error all the way to the answer
/// (503 `storage_error`, logged): never turned into "not found" or "nothing left".
public struct DatabaseError: Error, CustomStringConvertible, Sendable, Equatable, CodedError {
    /// SQLite's (extended) result code, or `SQLITE_ERROR` for a failure that is not SQLite's.
    public let code: Int32
    /// SQLite's message, for the log.
    public let message: String
    /// The statement that failed ("" when none), for the log.
    public let sql: String

    /// An error as SQLite reported it.
    public init(code: Int32, message: String, sql: String) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// `error` as a database failure: itself when it is one, else (a failure inside a transaction's body that
    /// is not SQLite's) described under the generic SQLite error code.
    public init(_ error: any Error) {
        self = error as? DatabaseError ?? DatabaseError(code: SQLITE_ERROR, message: "\(error)", sql: "")
    }

    /// Rows that contradict what the schema and the code guarantee (a value no version writes, a row gone
    /// inside its own transaction).
    public static func inconsistent(_ what: String) -> DatabaseError {
        DatabaseError(code: SQLITE_MISMATCH, message: what, sql: "")
    }

    /// Always `storage`: the answer is 503, whatever SQLite said.
    public var errorCode: ErrorCode { .storage }

    /// Code, message and statement, for the log (never shown to citizens).
    public var description: String { "SQLite error \(code): \(message)\(sql.isEmpty ? "" : " (in: \(sql))")" }
    /// A UNIQUE, CHECK or FOREIGN KEY failure: the callers that expect one turn it into their own answer.
    public var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}
