extension Catalogue {
    /// The services that share at least one desk with `service`, itself included (none for a service without
    /// desks): a booking of one of them changes what the others offer.
    public func servicesSharingDesks(with service: Service) -> [Service] {
        guard !service.desks.isEmpty else { return [] }
        let desks = Set(service.desks)
        return services.filter { !desks.isDisjoint(with: $0.desks) }
    }

    /// For each desk service, the other services sharing a desk with it: the pages to re-render with its own.
    public var deskPartners: [String: [String]] {
        var partners: [String: [String]] = [:]
        for service in services where !service.desks.isEmpty {
            let others = servicesSharingDesks(with: service).map(\.id).filter { $0 != service.id }
            if !others.isEmpty { partners[service.id] = others }
        }
        return partners
    }

    /// What a hold of `service` starting with `slot` claims on its desks; nil for a service without desks.
    public func deskClaim(of service: Service, slot: Slot) -> DeskClaim? {
        guard !service.desks.isEmpty, let interval = DeskInterval(start: slot.startInstant, end: slot.endInstant)
        else { return nil }
        let sharing = servicesSharingDesks(with: service)
        return DeskClaim(
            interval: interval, desks: service.desks,
            blockDesks: Dictionary(uniqueKeysWithValues: sharing.map { ($0.id, $0.desks) }))
    }
}
