import Foundation

struct ConfigObject {
    let node: ConfigNode
    let fields: [String: JSONValue]

    subscript(_ key: String) -> ConfigNode { node.child(key, in: fields) }

    func has(_ key: String) -> Bool { fields[key] != nil && fields[key] != .null }

    /// The child node when present, nil when absent or null.
    func optional(_ key: String) -> ConfigNode? { has(key) ? self[key] : nil }
}
