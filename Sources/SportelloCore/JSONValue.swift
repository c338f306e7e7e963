import Foundation

/// A parsed JSON document, read by the configuration loader with explicit paths so that every error can
/// name the exact place (`services[2].schedule.mon[0]`).
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes through `Codable`; the configuration loader uses `parse(_:)`, which keeps line and column.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses strict JSON plus comments (`// …` to the end of the line and `/* … */`), so a configuration
    /// can explain itself. Trailing commas, duplicate keys, and anything else JSON does not allow are
    /// errors that name the line and column (`JSONSyntaxError`).
    public static func parse(_ data: Data) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(data))
        return try parser.document()
    }

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

/// A configuration problem at a precise place in the file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Where in the file (`services[2].schedule.mon[0]`); empty for the document as a whole.
    public let path: String
    /// What is wrong there and what is expected, for the person editing the file.
    public let message: String

    /// A problem at `path` (empty for the whole document), explained by `message`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// The message prefixed by its path, as `sportello check` prints it.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Walks a `JSONValue`, remembering where it is, and turns type and range problems into
/// `ConfigurationError`s. Objects reject keys they do not know, so a typo never goes unnoticed.
struct ConfigNode {
    let value: JSONValue
    let path: String

    func fail(_ message: String) -> ConfigurationError { ConfigurationError(path: path, message: message) }

    func child(_ key: String, in object: [String: JSONValue]) -> ConfigNode {
        ConfigNode(value: object[key] ?? .null, path: path.isEmpty ? key : "\(path).\(key)")
    }

    func object(allowedKeys: Set<String>) throws(ConfigurationError) -> ConfigObject {
        guard case .object(let fields) = value else { throw fail("expected an object, found \(value.kindName)") }
        if let unknown = fields.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw child(unknown, in: fields).fail(
                "unknown setting; expected one of: \(allowedKeys.sorted().joined(separator: ", "))")
        }
        return ConfigObject(node: self, fields: fields)
    }

    func array() throws(ConfigurationError) -> [ConfigNode] {
        guard case .array(let items) = value else { throw fail("expected a list, found \(value.kindName)") }
        return items.enumerated().map { ConfigNode(value: $0.element, path: "\(path)[\($0.offset)]") }
    }

    func string(allowEmpty: Bool = false) throws(ConfigurationError) -> String {
        guard case .string(let text) = value else { throw fail("expected a string, found \(value.kindName)") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !allowEmpty && trimmed.isEmpty { throw fail("must not be empty") }
        return trimmed
    }

    func int(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw fail("expected a whole number, found \(value.kindName == "a number" ? "a fraction" : value.kindName)")
        }
        let int = Int(number)
        guard range.contains(int) else {
            throw fail("\(int) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
        return int
    }

    func double(in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard case .number(let number) = value else { throw fail("expected a number, found \(value.kindName)") }
        guard range.contains(number) else {
            throw fail("\(number) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
        return number
    }

    func bool() throws(ConfigurationError) -> Bool {
        guard case .bool(let flag) = value else { throw fail("expected true or false, found \(value.kindName)") }
        return flag
    }

    func date() throws(ConfigurationError) -> CivilDate {
        let text = try string()
        guard let date = CivilDate(iso: text) else { throw fail("\"\(text)\" is not a date (YYYY-MM-DD)") }
        return date
    }

    func timeRange() throws(ConfigurationError) -> TimeRange {
        let text = try string()
        guard let range = TimeRange(parsing: text) else {
            throw fail("\"\(text)\" is not a time range (HH:MM-HH:MM, start before end)")
        }
        return range
    }
}

struct ConfigObject {
    let node: ConfigNode
    let fields: [String: JSONValue]

    subscript(_ key: String) -> ConfigNode { node.child(key, in: fields) }

    func has(_ key: String) -> Bool { fields[key] != nil && fields[key] != .null }

    /// The child node when present, nil when absent or null.
    func optional(_ key: String) -> ConfigNode? { has(key) ? self[key] : nil }
}

/// Writes JSON answers and stored payloads: objects with sorted keys (stable bytes), strings escaped so the
/// text is also safe inside HTML (`<`, `>`, `&` as \u escapes). Foundation's JSONSerialization bridges every
/// value through NSObject on Linux, which made it the costliest part of a refused booking's answer.
public enum JSONWriter {
    /// Strings, integers, doubles, booleans, arrays and string-keyed dictionaries of them, nested; anything
    /// else is written as null.
    public static func bytes(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The same compact JSON as `bytes(_:)`, as text.
    public static func string(_ value: Any) -> String { String(decoding: bytes(value), as: UTF8.self) }

    private static func write(_ value: Any, into out: inout [UInt8]) {
        switch value {
        case let text as String: writeString(text, into: &out)
        case let flag as Bool: out.append(contentsOf: flag ? Array("true".utf8) : Array("false".utf8))
        case let number as Int: out.append(contentsOf: String(number).utf8)
        case let number as Int64: out.append(contentsOf: String(number).utf8)
        case let number as Int32: out.append(contentsOf: String(number).utf8)
        case let number as Double:
            if number.isFinite {
                out.append(
                    contentsOf: (number == number.rounded() && abs(number) < 1e15
                        ? String(Int64(number)) : String(number)).utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(object[key] as Any, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out.append(contentsOf: "null".utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0x7F:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

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

/// The configuration's JSON reader: recursive descent over the bytes, nesting bounded.
struct JSONParser {
    let bytes: [UInt8]
    var index = 0
    var depth = 0
    static let maximumDepth = 64

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark, as some Windows editors write.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws(JSONSyntaxError) -> JSONValue {
        try skipSpace()
        guard index < bytes.count else { throw fail("the file is empty; expected a JSON object") }
        let value = try self.value()
        try skipSpace()
        guard index >= bytes.count else {
            throw fail("unexpected \(describe(bytes[index])) after the end of the document")
        }
        return value
    }

    func fail(_ message: String, at position: Int? = nil) -> JSONSyntaxError {
        let end = min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        var offset = 0
        while offset < end {
            let byte = bytes[offset]
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            offset += 1
        }
        return JSONSyntaxError(line: line, column: column, message: message)
    }

    func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x22: "a quote"
        case 0x2C: "a comma"
        case 0x0A, 0x0D: "the end of the line"
        case 0x21...0x7E: "\"\(Character(Unicode.Scalar(byte)))\""
        default: "a byte 0x\(String(byte, radix: 16))"
        }
    }

    mutating func skipSpace() throws(JSONSyntaxError) {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            case UInt8(ascii: "/"):
                let start = index
                guard index + 1 < bytes.count else { throw fail("a lone \"/\": comments start with // or /*") }
                if bytes[index + 1] == UInt8(ascii: "/") {
                    while index < bytes.count && bytes[index] != 0x0A { index += 1 }
                } else if bytes[index + 1] == UInt8(ascii: "*") {
                    index += 2
                    while index + 1 < bytes.count
                        && !(bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/"))
                    { index += 1 }
                    guard index + 1 < bytes.count else {
                        throw fail("this /* comment is never closed with */", at: start)
                    }
                    index += 2
                } else {
                    throw fail("a lone \"/\": comments start with // or /*")
                }
            default: return
            }
        }
    }

    mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw fail("the document ends where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "'"): throw fail("strings take double quotes (\"), not single quotes")
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            throw fail("expected a value, found \(describe(bytes[index])) (a comma before it is one too many)")
        default:
            throw fail(
                "expected a value (text in double quotes, a number, true, false, null, [ or {), found \(describe(bytes[index]))"
            )
        }
    }

    mutating func literal(_ word: String, _ result: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
            throw fail("expected a value; did you mean \(word)? (text needs double quotes)")
        }
        index += expected.count
        return result
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw fail("nested more than \(Self.maximumDepth) levels deep") }
    }

    mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var fields: [String: JSONValue] = [:]
        try skipSpace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            try skipSpace()
            guard index < bytes.count else { throw fail("the document ends inside an object; a } is missing") }
            if bytes[index] == UInt8(ascii: "}") {
                throw fail("a comma before } is not allowed in JSON (remove the last comma)")
            }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw fail("expected a key in double quotes, found \(describe(bytes[index]))")
            }
            let keyStart = index
            let key = try string()
            if fields[key] != nil { throw fail("the key \"\(key)\" appears twice in this object", at: keyStart) }
            try skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("expected a colon after the key \"\(key)\"")
            }
            index += 1
            try skipSpace()
            fields[key] = try value()
            try skipSpace()
            guard index < bytes.count else { throw fail("the document ends inside an object; a } is missing") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            }
            throw fail("expected a comma or } after the value of \"\(key)\", found \(describe(bytes[index]))")
        }
    }

    mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        try skipSpace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            try skipSpace()
            guard index < bytes.count else { throw fail("the document ends inside a list; a ] is missing") }
            if bytes[index] == UInt8(ascii: "]") {
                throw fail("a comma before ] is not allowed in JSON (remove the last comma)")
            }
            items.append(try value())
            try skipSpace()
            guard index < bytes.count else { throw fail("the document ends inside a list; a ] is missing") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            throw fail("expected a comma or ] in the list, found \(describe(bytes[index]))")
        }
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("this text is never closed with a double quote", at: start) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw fail("this text is not valid UTF-8", at: start)
                }
                return text
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else {
                    throw fail("this text is never closed with a double quote", at: start)
                }
                let escape = bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else {
                            throw fail("a \\u escape of half a character (surrogate) without its other half")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw fail("a \\u surrogate pair that does not match")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else {
                        throw fail("a \\u escape that is not a character")
                    }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw fail(
                        "unknown escape \\\(Character(Unicode.Scalar(escape))) in text (write \\\\ for a backslash)",
                        at: index - 2)
                }
            case 0..<0x20:
                throw fail(
                    byte == 0x0A
                        ? "this text is never closed with a double quote before the end of the line"
                        : "a control character inside text (write \\t or \\n)", at: byte == 0x0A ? start : index)
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("a \\u escape needs four hexadecimal digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("a \\u escape needs four hexadecimal digits")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        guard digits() > 0 else { throw fail("a number needs digits", at: start) }
        if bytes[integerStart] == UInt8(ascii: "0") && index - integerStart > 1 {
            throw fail("numbers do not start with 0 in JSON", at: start)
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("a decimal point needs digits after it", at: start) }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard digits() > 0 else { throw fail("an exponent needs digits", at: start) }
        }
        guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)), number.isFinite else {
            throw fail("this number is out of range", at: start)
        }
        return .number(number)
    }
}
