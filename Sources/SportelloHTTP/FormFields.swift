import Foundation

/// Decoded form fields in order; names may repeat.
public struct FormFields: Sendable {
    /// Every field as received (after decoding), in order.
    public private(set) var pairs: [(name: String, value: String)]

    /// Fields from decoded name/value pairs, in order.
    public init(_ pairs: [(String, String)] = []) { self.pairs = pairs.map { (name: $0.0, value: $0.1) } }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] { pairs.compactMap { $0.name == name ? $0.value : nil } }

    /// Distinct names in order of first appearance.
    public var names: [String] {
        var seen = Set<String>()
        return pairs.compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }

    /// The number of fields, repeated names counted each time.
    public var count: Int { pairs.count }
    /// Whether the form has no field at all.
    public var isEmpty: Bool { pairs.isEmpty }
}
