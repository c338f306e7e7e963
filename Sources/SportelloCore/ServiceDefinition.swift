import Foundation

/// A node of the service tree exactly as configured (settings not yet inherited).
public struct ServiceDefinition: Sendable {
    /// Unique across the tree, used in URLs and in the database: never change it once bookings exist.
    public var id: String
    /// Texts in the site's main language.
    public var text: ServiceText
    /// Texts in the other languages, by language code.
    public var translations: [String: ServiceText]
    /// Where the office is; inherited by the services under it.
    public var address: String?
    /// The place on the map; inherited.
    public var coordinates: Coordinates?
    /// The office's telephone; inherited.
    public var phone: String?
    /// The office's mail address; inherited.
    public var email: String?
    /// Length of one appointment; inherited, 30 when no one says.
    public var slotMinutes: Int?
    /// Appointments in one slot (desks); inherited, 1 when no one says.
    public var capacity: Int?
    /// Weekly opening hours; inherited.
    public var schedule: [Weekday: [TimeRange]]?
    /// Breaks within the opening hours; inherited.
    public var pauses: [TimeRange]?
    /// Seasons with their own hours; inherited.
    public var seasons: [Season]?
    /// How soon and how far ahead it can be booked; inherited.
    public var window: BookingWindow?
    /// Whether the citizen must say what the appointment is for; inherited.
    public var reasonRequired: Bool?
    /// Overrides `booking.verifyContact` for this service (and its sub-services).
    public var verifyContact: Bool?
    /// Closures written on this entry: they apply to it and everything under it.
    public var closures: [Closure]
    /// The services under an office; empty for a bookable service.
    public var children: [ServiceDefinition]
    /// `"desks"` as written: on an office (a node with children) the desks it declares, on a bookable service
    /// the names of the desks, declared by an ancestor office, that serve it (docs/ARCHITECTURE.md §3 "Desks").
    public var desks: [String]?
    /// How long one appointment of a desk service lasts; nil = `slotMinutes`.
    public var appointmentMinutes: Int?
    /// How far apart the starts a desk service offers are; nil = `slotMinutes`.
    public var stepMinutes: Int?
    /// Where the office is told of new, moved and cancelled bookings (an email address); inherited by the
    /// services under it (see `SiteConfiguration.officeNotificationRecipients`).
    public var officeNotifications: String?
    /// The desks declared by the offices above this node, nearest office last (filled by `inheriting`).
    public internal(set) var ancestorDesks: [DeskID] = []
    /// Whether requests wait for the office's approval, and until when; inherited (docs/ARCHITECTURE.md §3
    /// "Approval").
    public var approval: ApprovalSettings? = nil
    /// Whether only the office books it (from the operator pages); inherited. A staff-only service is never
    /// on the public site.
    public var staffOnly: Bool? = nil
    /// Questions added to the booking form (`ExtraField`); inherited whole from the office when not set.
    public var extraFields: [ExtraField]? = nil
}

extension ServiceDefinition {
    /// Office-level settings flow down to sub-services that do not set their own.
    func inheriting(from parent: ServiceDefinition?) -> ServiceDefinition {
        guard let parent else { return self }
        var copy = self
        copy.address = address ?? parent.address
        copy.coordinates = coordinates ?? parent.coordinates
        copy.phone = phone ?? parent.phone
        copy.email = email ?? parent.email
        copy.slotMinutes = slotMinutes ?? parent.slotMinutes
        copy.capacity = capacity ?? parent.capacity
        copy.schedule = schedule ?? parent.schedule
        copy.pauses = pauses ?? parent.pauses
        copy.seasons = seasons ?? parent.seasons
        copy.window = window ?? parent.window
        copy.reasonRequired = reasonRequired ?? parent.reasonRequired
        copy.verifyContact = verifyContact ?? parent.verifyContact
        copy.closures = parent.closures + closures
        copy.appointmentMinutes = appointmentMinutes ?? parent.appointmentMinutes
        copy.stepMinutes = stepMinutes ?? parent.stepMinutes
        copy.approval = approval ?? parent.approval
        copy.staffOnly = staffOnly ?? parent.staffOnly
        copy.extraFields = extraFields ?? parent.extraFields
        // Desks are not inherited as a setting: an office's own list declares desks for the nodes below it.
        copy.ancestorDesks = parent.ancestorDesks
        if !parent.children.isEmpty {
            copy.ancestorDesks += (parent.desks ?? []).map { DeskID(office: parent.id, name: $0) }
        }
        return copy
    }
}
