/// The service tree with office settings inherited down to each bookable service.
public struct Catalogue: Sendable {
    /// The configuration the tree was built from (comune, booking policy, closures).
    public let configuration: SiteConfiguration
    /// The top of the tree (offices, or services listed on their own), in the order of the configuration.
    public let roots: [CatalogueEntry]
    /// Bookable services (leaves of the tree) in the order the comune listed them.
    public let services: [Service]
    private let serviceIndex: [String: Int]
    /// Every entry by id: breadcrumbs look offices up for every page, so the tree is not searched each time.
    private let entryIndex: [String: CatalogueEntry]

    /// Resolves every service once: inherited office settings, the closures that apply to it, the patron saint.
    public init(configuration: SiteConfiguration) {
        self.configuration = configuration
        var services: [Service] = []
        func build(
            _ definitions: [ServiceDefinition], parent: ServiceDefinition?, ancestors: [String]
        ) -> [CatalogueEntry] {
            definitions.map { definition in
                let effective = definition.inheriting(from: parent)
                let children = build(definition.children, parent: effective, ancestors: ancestors + [definition.id])
                var serviceID: String?
                if definition.children.isEmpty {
                    let comuneClosures = configuration.closures.filter {
                        $0.serviceIDs.isEmpty || !Set($0.serviceIDs).isDisjoint(with: ancestors + [definition.id])
                    }
                    services.append(
                        Service(
                            definition: effective, ancestorIDs: ancestors,
                            closures: comuneClosures + effective.closures,
                            patronSaint: configuration.comune.patronSaint))
                    serviceID = definition.id
                }
                return CatalogueEntry(definition: effective, children: children, serviceID: serviceID)
            }
        }
        roots = build(configuration.services, parent: nil, ancestors: [])
        self.services = services
        serviceIndex = Dictionary(uniqueKeysWithValues: services.enumerated().map { ($0.element.id, $0.offset) })
        var entries: [String: CatalogueEntry] = [:]
        // Sized once: growing it moved every entry again at each step, which showed in a big comune's start-up.
        func count(_ nodes: [CatalogueEntry]) -> Int { nodes.reduce(nodes.count) { $0 + count($1.children) } }
        entries.reserveCapacity(count(roots))
        func index(_ nodes: [CatalogueEntry]) {
            for node in nodes {
                entries[node.id] = node
                index(node.children)
            }
        }
        index(roots)
        entryIndex = entries
    }

    /// The bookable service with this id; nil for an office or an unknown id (a request names ids freely).
    public func service(id: String) -> Service? { serviceIndex[id].map { services[$0] } }

    /// The entry (office or service) with this id anywhere in the tree.
    public func entry(id: String) -> CatalogueEntry? { entryIndex[id] }
}

extension Catalogue {
    /// The bookable services at or under an entry (an office, or a service itself); empty for an unknown id.
    public func serviceIDs(under entryID: String) -> [String] {
        services.filter { $0.id == entryID || $0.ancestorIDs.contains(entryID) }.map(\.id)
    }
}
