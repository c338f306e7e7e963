/// One desk (sportello) of an office, as the configuration declares it: the office's id and the desk's name.
/// Two offices may both have a "Sportello 1"; they are different desks.
public struct DeskID: Hashable, Sendable, CustomStringConvertible {
    /// The id of the office the desk belongs to.
    public let office: String
    /// The desk's name as the configuration gives it ("Sportello 1"), unique within its office.
    public let name: String

    /// A desk of `office` called `name`; no validation: the configuration loader checks both.
    public init(office: String, name: String) {
        self.office = office
        self.name = name
    }

    /// The desk a store key names; nil when `key` has no "/" (not a key the store wrote).
    public init?(key: String) {
        guard let slash = key.firstIndex(of: "/") else { return nil }
        self.init(office: String(key[..<slash]), name: String(key[key.index(after: slash)...]))
    }

    /// How the store records the desk: "<office id>/<name>". Office ids have no "/", so the key is unambiguous.
    public var key: String { "\(office)/\(name)" }

    /// The store's key, so logs and test failures name the desk the way the database does.
    public var description: String { key }
}
