/// One desk (sportello) of an office, as the configuration declares it: the office's id and the desk's name.
/// Two offices may both have a "Sportello 1"; they are different desks.
public struct DeskID: Hashable, Sendable, CustomStringConvertible {
    public let office: String
    public let name: String

    public init(office: String, name: String) {
        self.office = office
        self.name = name
    }

    /// How the store records the desk: "<office id>/<name>". Office ids have no "/", so the key is unambiguous.
    public var key: String { "\(office)/\(name)" }

    public var description: String { key }
}
