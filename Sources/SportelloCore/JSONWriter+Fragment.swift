extension JSONWriter {
    /// Bytes already written as JSON, copied as they are where the value stands. For many objects of one
    /// fixed shape (a week's slots: a dictionary each, sorted, cast member by member, was a tenth of a cold
    /// build), written with `appendString` and `appendInteger` in the key order `bytes(_:)` would use.
    public struct Fragment: Sendable {
        /// The JSON text of the value.
        public let bytes: [UInt8]

        /// A value whose JSON text is `bytes` (not checked: the caller writes valid JSON).
        public init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Appends `text` as a JSON string, quoted and escaped as `bytes(_:)` writes it.
    public static func appendString(_ text: String, to out: inout [UInt8]) { writeString(text, into: &out) }

    /// Appends `number` as `bytes(_:)` writes an integer.
    public static func appendInteger(_ number: Int, to out: inout [UInt8]) {
        guard number >= 0 else {
            out.append(contentsOf: String(number).utf8)
            return
        }
        CivilDate.appendPadded(number, 1, to: &out)
    }

    /// Appends `true` or `false`.
    public static func appendBool(_ flag: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: flag ? trueBytes : falseBytes)
    }

    static let trueBytes: [UInt8] = Array("true".utf8)
    static let falseBytes: [UInt8] = Array("false".utf8)
}
