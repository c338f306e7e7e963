import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A value bound to, or read from, an SQL statement.
public enum SQLValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByNilLiteral
{
    case int(Int64)
    case text(String)
    case double(Double)
    case null

    /// A string literal binds as text.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An integer literal binds as an integer.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `nil` binds as SQL NULL.
    public init(nilLiteral: ()) { self = .null }
    /// Optional text: nil binds as NULL.
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// Optional integer: nil binds as NULL.
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    /// A Swift `Int` binds as a 64-bit integer.
    public init(_ value: Int) { self = .int(Int64(value)) }
}
