/// A field value of a log line: text, or a number written without quotes in JSON.
public enum LogValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case text(String)
    case int(Int64)
    /// A duration, written as a number of milliseconds with two decimals (`1.84`), a number in JSON too.
    case milliseconds(nanoseconds: UInt64)

    /// Text fields written as literals: `["service": "anagrafe"]`.
    public init(stringLiteral value: String) { self = .text(value) }
    /// Number fields written as literals: `["pages": 3]`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A count or size held as `Int`.
    public init(_ value: Int) { self = .int(Int64(value)) }
}
