/// What the public site offers: every service but the staff-only ones (`Service.staffOnly`), which only the office
/// books from the operator pages (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
extension Catalogue {
    /// The service with this id when the public may see and book it; nil for an unknown or staff-only one, so the
    /// endpoint answers both alike.
    public func publicService(id: String) -> Service? {
        service(id: id).flatMap { $0.staffOnly ? nil : $0 }
    }

    /// The services the public site publishes, in catalogue order.
    public var publicServices: [Service] { services.filter { !$0.staffOnly } }

    /// Whether the public catalogue lists this entry: a public service, or an office with one under it.
    public func isPublic(_ entry: CatalogueEntry) -> Bool {
        if let serviceID = entry.serviceID { return publicService(id: serviceID) != nil }
        return entry.children.contains(where: isPublic)
    }
}
