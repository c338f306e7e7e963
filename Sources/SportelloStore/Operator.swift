import Foundation
import SportelloCore

/// An office operator. `scope` lists the catalogue entries (offices or services) they act on; "*" is all.
public struct Operator: Sendable, Equatable {
    /// The row id: the token embeds it (`op<id>-...`) to find the hash.
    public let id: Int64
    /// The name chosen when the account was made, unique.
    public let name: String
    /// Catalogue entry ids (offices or services) the operator acts on; "*" is all.
    public let scope: [String]

    /// How the audit log names this operator.
    public var actor: String { "operator:\(name)" }

    /// Whether the operator may act on this service of the catalogue.
    public func covers(serviceID: String, in catalogue: Catalogue) -> Bool {
        if scope.contains("*") { return true }
        guard let service = catalogue.service(id: serviceID) else { return false }
        return scope.contains(service.id) || scope.contains(where: service.ancestorIDs.contains)
    }

    /// The services of the catalogue the operator may act on.
    public func serviceIDs(in catalogue: Catalogue) -> [String] {
        catalogue.services.map(\.id).filter { covers(serviceID: $0, in: catalogue) }
    }
}
