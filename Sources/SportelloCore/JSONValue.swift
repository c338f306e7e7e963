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

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
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
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

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
            throw child(unknown, in: fields).fail("unknown setting; expected one of: \(allowedKeys.sorted().joined(separator: ", "))")
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
        guard range.contains(int) else { throw fail("\(int) is out of range (\(range.lowerBound)…\(range.upperBound))") }
        return int
    }

    func double(in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard case .number(let number) = value else { throw fail("expected a number, found \(value.kindName)") }
        guard range.contains(number) else { throw fail("\(number) is out of range (\(range.lowerBound)…\(range.upperBound))") }
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
        guard let range = TimeRange(parsing: text) else { throw fail("\"\(text)\" is not a time range (HH:MM-HH:MM, start before end)") }
        return range
    }

    var isNull: Bool { value == .null }
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
                out.append(contentsOf: (number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)).utf8)
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
