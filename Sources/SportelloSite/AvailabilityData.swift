import SportelloCore

/// The availability files beside the week pages (docs/schema/week.schema.json, docs/schema/next.schema.json):
/// what the public pages show, as JSON an app, a kiosk or App IO can read at the cost of a static file. Only
/// public data: slot times, their state and free places, never who booked them. Objects are written by
/// `JSONWriter`, keys sorted, so the same availability always makes the same bytes.
public enum AvailabilityData {
    /// Bumped when a field changes meaning or goes away; added fields keep the version.
    public static let version = 1
    /// How many free starts a service's `next.json` lists at most.
    public static let nextLimit = 20

    /// The week file: every slot of the grid with its instants, state and free places, day by day.
    /// `generatedAt` is left to `SitePublisher.writeData`, which keeps it while the content is unchanged.
    public static func week(_ service: Service, grid: WeekGrid, renderer: PageRenderer) -> [String: Any] {
        let layout = renderer.layout
        let texts = renderer.texts(layout.mainLanguage)
        let days: [[String: Any]] = grid.days.map { day in
            var value: [String: Any] = [
                "date": day.date.description,
                "closed": day.closedReason != nil || day.cells.isEmpty,
                "slots": day.cells.map(slotValue),
            ]
            if let reason = day.closedReason { value["closedReason"] = renderer.closedText(reason, texts) }
            return value
        }
        return [
            "version": version,
            "service": serviceValue(service, renderer: renderer),
            "week": SiteLayout.weekName(grid.monday),
            "monday": grid.monday.description,
            "timeZone": RomeTime.identifier,
            "page": layout.url(.week(service.id, monday: grid.monday), language: layout.mainLanguage),
            "days": days,
        ]
    }

    /// The next-free file: the first free starts from `now` (at most `nextLimit`), each with its week page.
    /// `until` is the last day looked at: the end of the booking window or of the published weeks.
    public static func next(
        _ service: Service, free: [SlotAvailability], until: CivilDate, renderer: PageRenderer
    ) -> [String: Any] {
        let layout = renderer.layout
        return [
            "version": version,
            "service": serviceValue(service, renderer: renderer),
            "timeZone": RomeTime.identifier,
            "until": until.description,
            "limit": nextLimit,
            "slots": free.map { availability -> [String: Any] in
                var value = slotValue(availability)
                value["page"] =
                    layout.url(
                        .week(service.id, monday: availability.slot.date.mondayOfWeek), language: layout.mainLanguage)
                    + "#slot-\(availability.slot.startInstant)"
                return value
            },
        ]
    }

    static func serviceValue(_ service: Service, renderer: PageRenderer) -> [String: Any] {
        let layout = renderer.layout
        return [
            "id": service.id,
            "name": service.text(for: layout.mainLanguage).name,
            "capacity": service.capacity,
            "page": layout.url(.service(service.id), language: layout.mainLanguage),
        ]
    }

    static func slotValue(_ cell: SlotAvailability) -> [String: Any] {
        [
            "start": RomeTime.iso8601(cell.slot.startInstant),
            "end": RomeTime.iso8601(cell.slot.endInstant),
            "state": cell.state.rawValue,
            "free": cell.freeDesks,
        ]
    }
}
