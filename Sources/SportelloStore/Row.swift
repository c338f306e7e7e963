import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A result row: typed access by column index.
public struct Row {
    let statement: OpaquePointer

    /// The column as a 64-bit integer (0 for NULL).
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    /// The column as a double (0 for NULL).
    public func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    /// Whether the column is SQL NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    /// The column as text ("" for NULL).
    public func text(_ column: Int32) -> String { optionalText(column) ?? "" }
    /// The column as text, nil for NULL.
    public func optionalText(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }
    /// The column as an integer, nil for NULL.
    public func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
}
