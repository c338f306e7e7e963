import Foundation
import SportelloCore

/// The catalogue as a tree and the office pages (docs/ARCHITECTURE.md §2): an office is a catalogue entry with
/// children, published at "servizi/<office id>/" beside its services' folders (ids are unique across the tree).
extension PageRenderer {
    /// At most this many bookable services and the catalogue shows every office open: it reads at a glance and
    /// each service is one tap away. A bigger catalogue shows its offices closed, a list to open with "+".
    /// `details`/`summary` open and close without JavaScript, so the choice does not depend on it.
    public static let openCatalogueLimit = 12

    /// Every office of the catalogue (entries with children, at any depth), in the configuration's order.
    public var offices: [CatalogueEntry] {
        var found: [CatalogueEntry] = []
        func walk(_ entries: [CatalogueEntry]) {
            for entry in entries where !entry.children.isEmpty && catalogue.isPublic(entry) {
                found.append(entry)
                walk(entry.children)
            }
        }
        walk(catalogue.roots)
        return found
    }

    /// The offices above `entryID`, outermost first: the path of its breadcrumb.
    func ancestorIDs(ofEntry entryID: String) -> [String] {
        if let service = catalogue.service(id: entryID) { return service.ancestorIDs }
        guard let below = catalogue.services.first(where: { $0.ancestorIDs.contains(entryID) }),
            let position = below.ancestorIDs.firstIndex(of: entryID)
        else { return [] }
        return Array(below.ancestorIDs[..<position])
    }

    /// Home, then each office above `entryID` linking to its page.
    func ancestorCrumbs(ofEntry entryID: String, language: String) -> [(String, String?)] {
        [(texts(language).text("nav.home"), layout.url(.catalogue, language: language))]
            + ancestorIDs(ofEntry: entryID).compactMap { id in
                catalogue.entry(id: id).map {
                    ($0.text(for: language).name, layout.url(.office(id), language: language))
                }
            }
    }

    /// What a `geo:` URI's label may hold unencoded. The label goes in parentheses (RFC 5870 and the Android
    /// convention): what would end it is encoded. Built once: making the set cost more than encoding with it.
    static let geoLabelAllowed: CharacterSet = {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "()&=+#?")
        return allowed
    }()

    /// Where a place is: its address and, with coordinates, a link to OpenStreetMap, a `geo:` URI a phone opens
    /// in its map app, and the coordinates themselves. No map image and no third-party script: the site is built
    /// without network access and publishes nothing that loads from another host (README "Maps").
    func locationFields(address: String?, coordinates: Coordinates?, language: String) -> TemplateFields {
        var value: TemplateFields = [:]
        if let address { value["address"] = .string(address) }
        if let coordinates {
            let (latitude, longitude) = (coordinates.latitude, coordinates.longitude)
            value["mapURL"] = .string(
                "https://www.openstreetmap.org/?mlat=\(latitude)&mlon=\(longitude)#map=18/\(latitude)/\(longitude)")
            var geo = "geo:\(latitude),\(longitude)"
            if let address, let label = address.addingPercentEncoding(withAllowedCharacters: Self.geoLabelAllowed) {
                geo += "?q=\(latitude),\(longitude)(\(label))"
            }
            value["geoURI"] = .string(geo)
            value["coordinates"] = .string(
                texts(language).format(
                    "office.coordinates", ["latitude": String(latitude), "longitude": String(longitude)]))
        }
        return value
    }

    /// An entry of the catalogue tree as `partials/entry` shows it: a service with its next free slot, or an
    /// office with its services, its page's link and whether it starts open.
    func entryValue(
        _ entry: CatalogueEntry, language: String, nextFree: [String: SlotAvailability?], open: Bool
    ) -> TemplateValue {
        let text = entry.text(for: language)
        var value: TemplateFields = [
            "id": .string(entry.id), "name": .string(text.name), "description": .string(text.description),
            "bookable": false, "hasChildren": .bool(!entry.children.isEmpty), "next": "", "address": "", "url": "",
        ]
        if let serviceID = entry.serviceID, let service = catalogue.service(id: serviceID) {
            value["url"] = .string(layout.url(.service(serviceID), language: language))
            value["bookable"] = true
            value["next"] = nextFreeValue(nextFree[serviceID] ?? nil, service: service, language: language)
        }
        if !entry.children.isEmpty {
            value["children"] = .list(
                entry.children.filter(catalogue.isPublic).map {
                    entryValue($0, language: language, nextFree: nextFree, open: open)
                })
            value["url"] = .string(layout.url(.office(entry.id), language: language))
            value["open"] = .bool(open)
            value["count"] = .string(
                texts(language).format(
                    "office.serviceCount", ["count": String(catalogue.serviceIDs(under: entry.id).count)]))
            if let address = entry.definition.address, entry.serviceID == nil {
                value["address"] = .string(address)
            }
        }
        return .object(value)
    }

    /// An office's page: description, address and map links, contacts, hours, and its services (offices below
    /// it too) each with its first free slot from `nextFree` (by service id).
    public func renderOffice(
        _ office: CatalogueEntry, language: String, nextFree: [String: SlotAvailability?], into buffer: inout [UInt8]
    ) throws {
        let t = texts(language)
        let text = office.text(for: language)
        let definition = office.definition
        var facts = locationFields(address: definition.address, coordinates: definition.coordinates, language: language)
        facts["name"] = .string(text.name)
        facts["description"] = .string(text.description)
        if let phone = definition.phone {
            facts["phone"] = .string(phone)
            facts["phoneHref"] = .string("tel:" + phone.filter { $0.isNumber })
        }
        if let email = definition.email { facts["email"] = .string(email) }
        if let schedule = definition.schedule, !schedule.isEmpty {
            facts["hasSchedule"] = true
            facts["schedule"] = scheduleValue(schedule, t)
            // Services with hours of their own say so on their page; the office page only points there.
            let services = catalogue.serviceIDs(under: office.id).compactMap { catalogue.service(id: $0) }
            facts["ownHours"] = .bool(services.contains { $0.schedule != schedule || !$0.seasons.isEmpty })
        }
        try page(
            "office", title: text.name, language: language, pageID: .office(office.id),
            context: [
                "office": .object(facts),
                "services": .list(
                    office.children.filter(catalogue.isPublic).map {
                        entryValue($0, language: language, nextFree: nextFree, open: true)
                    }),
            ],
            breadcrumb: ancestorCrumbs(ofEntry: office.id, language: language) + [(text.name, nil)], into: &buffer)
    }
}
