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
        // The days are written straight as JSON (the shape `bytes(_:)` would give their dictionaries): a week
        // has a few hundred slots, and a dictionary each cost more than rendering the week's page.
        var days: [UInt8] = [UInt8(ascii: "[")]
        days.reserveCapacity(128 + grid.days.reduce(0) { $0 + $1.cells.count } * 96)
        for (index, day) in grid.days.enumerated() {
            if index > 0 { days.append(UInt8(ascii: ",")) }
            days.append(contentsOf: JSONBytes.closed)
            JSONWriter.appendBool(day.closedReason != nil || day.cells.isEmpty, to: &days)
            if let reason = day.closedReason {
                days.append(contentsOf: JSONBytes.closedReason)
                JSONWriter.appendString(renderer.closedText(reason, texts), to: &days)
            }
            days.append(contentsOf: JSONBytes.date)
            var iso: [UInt8] = []
            day.date.appendISO(to: &iso)
            days.append(contentsOf: iso)
            days.append(contentsOf: JSONBytes.slots)
            let offset = RomeTime.uniformOffset(on: day.date)
            for (slotIndex, cell) in day.cells.enumerated() {
                if slotIndex > 0 { days.append(UInt8(ascii: ",")) }
                appendSlot(cell, onDay: day.date, iso: iso, offset: offset, to: &days)
            }
            days.append(contentsOf: "]}".utf8)
        }
        days.append(UInt8(ascii: "]"))
        return [
            "version": version,
            "service": serviceValue(service, renderer: renderer),
            "week": SiteLayout.weekName(grid.monday),
            "monday": grid.monday.description,
            "timeZone": RomeTime.identifier,
            "page": layout.url(.week(service.id, monday: grid.monday), language: layout.mainLanguage),
            "days": JSONWriter.Fragment(days),
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

    /// `slotValue(cell)` as `JSONWriter` writes it, for a cell of the local day `date` (its ISO bytes and its
    /// offset, as `RomeTime.appendISO8601(_:onDay:iso:offset:to:)` takes them).
    static func appendSlot(
        _ cell: SlotAvailability, onDay date: CivilDate, iso: [UInt8], offset: Int64?, to out: inout [UInt8]
    ) {
        out.append(contentsOf: JSONBytes.end)
        RomeTime.appendISO8601(cell.slot.endInstant, onDay: date, iso: iso, offset: offset, to: &out)
        out.append(contentsOf: JSONBytes.free)
        JSONWriter.appendInteger(cell.freeDesks, to: &out)
        out.append(contentsOf: JSONBytes.start)
        RomeTime.appendISO8601(cell.slot.startInstant, onDay: date, iso: iso, offset: offset, to: &out)
        out.append(contentsOf: JSONBytes.state)
        JSONWriter.appendString(cell.state.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The fixed parts of a week file's days and slots, as bytes once: appended from a short string's UTF-8
    /// view they went byte by byte, a few hundred times a file.
    private enum JSONBytes {
        static let closed: [UInt8] = Array(#"{"closed":"#.utf8)
        static let closedReason: [UInt8] = Array(#","closedReason":"#.utf8)
        static let date: [UInt8] = Array(#","date":""#.utf8)
        static let slots: [UInt8] = Array(#"","slots":["#.utf8)
        static let end: [UInt8] = Array(#"{"end":""#.utf8)
        static let free: [UInt8] = Array(#"","free":"#.utf8)
        static let start: [UInt8] = Array(#","start":""#.utf8)
        static let state: [UInt8] = Array(#"","state":"#.utf8)
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
