import Foundation

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
        let trimmed = text.trimmed(of: .whitespacesAndNewlines)
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
