import Foundation

/// A syntax error in a JSON document, at a 1-based line and column (columns count characters, not bytes).
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 1-based line of the error.
    public let line: Int
    /// 1-based column of the error, counting characters.
    public let column: Int
    /// What is wrong at that place.
    public let message: String

    /// Where and what, as the configuration loader reports it.
    public var description: String { "line \(line), column \(column): \(message)" }
}
