/// An office or a service in the public catalogue.
public struct CatalogueEntry: Sendable {
    /// The entry as the configuration wrote it, before inheritance.
    public let definition: ServiceDefinition
    /// The entries listed under this one (an office's services); empty for a service.
    public let children: [CatalogueEntry]
    /// Set when this entry is bookable.
    public let serviceID: String?

    /// The id from the configuration: unique across the tree, used in URLs and in the database.
    public var id: String { definition.id }

    /// Name, description and documents in `language`, falling back to the configuration's main language.
    public func text(for language: String) -> ServiceText { definition.translations[language] ?? definition.text }
}
