import Foundation

/// Header fields in arrival order with ASCII case-insensitive lookup.
public struct HTTPHeaders: Sendable, Sequence {
    /// One field: name as received, value without surrounding whitespace.
    public typealias Element = (name: String, value: String)
    private var storage: [Element]

    /// No fields.
    public init() { storage = [] }
    /// These fields, in this order.
    public init(_ fields: [(String, String)]) { storage = fields.map { (name: $0.0, value: $0.1) } }

    /// The first value of the field `name`, or nil.
    public subscript(_ name: String) -> String? {
        for field in storage where asciiCaseInsensitiveEquals(field.name, name) { return field.value }
        return nil
    }

    /// Every value of the field `name`, in order.
    public func values(_ name: String) -> [String] {
        storage.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// Whether a field `name` is present (any case).
    public func contains(_ name: String) -> Bool { self[name] != nil }
    /// The number of fields, repeated names counted each time.
    public var count: Int { storage.count }
    /// Whether there is no field.
    public var isEmpty: Bool { storage.isEmpty }
    /// Every field in arrival order.
    public var fields: [Element] { storage }
    /// Appends a field (an existing one with the same name stays).
    public mutating func add(_ name: String, _ value: String) { storage.append((name: name, value: value)) }
    /// The fields in arrival order.
    public func makeIterator() -> IndexingIterator<[Element]> { storage.makeIterator() }
}
