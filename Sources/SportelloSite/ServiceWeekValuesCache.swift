import SportelloCore

/// The `ServiceWeekValues` of the services whose weeks `SitePublisher.publish` re-rendered, by service and
/// language. A booking re-renders one week of its service; without this each such page worked out the service's
/// facts, breadcrumb, places texts and a table of 1,441 time texts again, for one page.
///
/// Entries never go stale: the values are made from the publisher's renderer and its catalogue's services, which
/// a publisher never changes. A changed configuration or template is read into a new `LoadedSite` (SIGHUP
/// restarts `serve` in place) with a publisher of its own, whose cache starts empty. At most one entry per public
/// service and language. Not thread-safe by itself, nor are the values' memos: the publisher holds it in a lock
/// that one week re-render holds at a time.
struct ServiceWeekValuesCache {
    private var values: [String: [String: ServiceWeekValues]] = [:]
    /// How many values the cache has made (tests count the misses with it).
    private(set) var made = 0

    /// `service`'s values in `language`, made by `renderer` the first time they are asked for.
    mutating func values(of service: Service, language: String, renderer: PageRenderer) -> ServiceWeekValues {
        if let known = values[service.id]?[language] { return known }
        let new = ServiceWeekValues(renderer, service: service, language: language)
        values[service.id, default: [:]][language] = new
        made += 1
        return new
    }
}
