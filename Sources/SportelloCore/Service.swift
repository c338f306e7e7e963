/// A bookable service with every setting resolved.
public struct Service: Sendable {
    /// The id from the configuration: unique across the tree, used in URLs and in the database.
    public let id: String
    /// The offices above the service, outermost first, for breadcrumbs.
    public let ancestorIDs: [String]
    /// Name, description and documents in the configuration's main language.
    public let text: ServiceText
    /// The same texts in the other languages, by language code.
    public let translations: [String: ServiceText]
    /// Where the citizen goes (inherited from the office when the service gives none).
    public let address: String?
    /// The place on the map, when the configuration gives one.
    public let coordinates: Coordinates?
    /// The office's telephone, shown on the service page and in messages.
    public let phone: String?
    /// The office's mail address, the organizer of calendar invitations.
    public let email: String?
    /// Length of one appointment (30 unless configured).
    public let slotMinutes: Int
    /// Appointments that can share one slot: the desks serving the service (1 unless configured); for a desk
    /// service, the number of its desks.
    public let capacity: Int
    /// The usual opening hours per weekday; slots are cut from them.
    public let schedule: [Weekday: [TimeRange]]
    /// Breaks within the opening hours when no slot starts or runs.
    public let pauses: [TimeRange]
    /// Hours that replace `schedule` (and, when given, `pauses`) on the days of a season.
    public let seasons: [Season]
    /// How soon and how far ahead the service can be booked.
    public let window: BookingWindow
    /// Whether the citizen must say what the appointment is for (the notes field becomes required).
    public let reasonRequired: Bool
    /// Whether bookings need a one-time code sent to their contact; nil = as `booking.verifyContact` says.
    public let verifyContact: Bool?
    /// Days the service is shut: the comune's closures that name it or apply to every service.
    public let closures: [Closure]
    /// The comune's patron saint's day, a local holiday when configured.
    public let patronSaint: PatronSaint?
    /// The desks that serve this service, in the order it lists them (assignment tries them in this order);
    /// empty for a service with its own capacity, as before desks existed.
    public let desks: [DeskID]
    /// Length of one appointment and distance between offered starts, for a desk service (both `slotMinutes`
    /// unless configured).
    public let appointmentMinutes: Int
    /// Minutes from one offered start to the next (see `appointmentMinutes`).
    public let stepMinutes: Int
    /// When set and `required`, a confirmed request waits for the office (`BookingState.pending`).
    public let approval: ApprovalSettings?
    /// Booked only by the office from the operator pages; never on the public site.
    public let staffOnly: Bool
    /// Questions the booking form adds for this service (`ExtraField`), in form order.
    public let extraFields: [ExtraField]

    init(definition: ServiceDefinition, ancestorIDs: [String], closures: [Closure], patronSaint: PatronSaint?) {
        id = definition.id
        self.ancestorIDs = ancestorIDs
        text = definition.text
        translations = definition.translations
        address = definition.address
        coordinates = definition.coordinates
        phone = definition.phone
        email = definition.email
        slotMinutes = definition.slotMinutes ?? 30
        schedule = definition.schedule ?? [:]
        pauses = definition.pauses ?? []
        seasons = definition.seasons ?? []
        window = definition.window ?? BookingWindow()
        reasonRequired = definition.reasonRequired ?? false
        verifyContact = definition.verifyContact
        self.closures = closures
        self.patronSaint = patronSaint
        desks = (definition.desks ?? []).compactMap { name in definition.ancestorDesks.last { $0.name == name } }
        appointmentMinutes = definition.appointmentMinutes ?? slotMinutes
        stepMinutes = definition.stepMinutes ?? slotMinutes
        capacity = desks.isEmpty ? definition.capacity ?? 1 : desks.count
        approval = definition.approval.flatMap { $0.required ? $0 : nil }
        staffOnly = definition.staffOnly ?? false
        extraFields = definition.extraFields ?? []
    }

    /// Name, description and documents in `language`, falling back to the configuration's main language.
    public func text(for language: String) -> ServiceText { translations[language] ?? text }

    /// The opening hours and pauses in force on a date: a season's, or the usual ones.
    public func hours(on date: CivilDate) -> (ranges: [TimeRange], pauses: [TimeRange]) {
        if let season = seasons.first(where: { $0.covers(date) }) {
            return (season.schedule[date.weekday] ?? [], season.pauses ?? pauses)
        }
        return (schedule[date.weekday] ?? [], pauses)
    }
}
