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

    /// The week file: every slot of the grid with its instants, state and free places, day by day, stamped
    /// `generatedAt` (which `SitePublisher.writeData` keeps while the content is unchanged). Written straight
    /// as the bytes `JSONWriter.bytes(_:)` makes of the file's object (keys sorted): a dictionary per slot, and
    /// then the object's own, cost more than rendering the week's page.
    public static func week(
        _ service: Service, grid: WeekGrid, renderer: PageRenderer, generatedAt: String
    ) -> [UInt8] {
        let layout = renderer.layout
        let main = layout.mainLanguage
        let texts = renderer.texts(main)
        var out: [UInt8] = []
        out.reserveCapacity(512 + grid.days.reduce(0) { $0 + $1.cells.count } * 112)
        out.append(contentsOf: JSONBytes.days)
        var iso: [UInt8] = []
        iso.reserveCapacity(10)
        for (index, day) in grid.days.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: JSONBytes.closed)
            JSONWriter.appendBool(day.closedReason != nil || day.cells.isEmpty, to: &out)
            if let reason = day.closedReason {
                out.append(contentsOf: JSONBytes.closedReason)
                JSONWriter.appendString(renderer.closedText(reason, texts), to: &out)
            }
            out.append(contentsOf: JSONBytes.date)
            iso.removeAll(keepingCapacity: true)
            day.date.appendISO(to: &iso)
            out.append(contentsOf: iso)
            out.append(contentsOf: JSONBytes.slots)
            let offset = RomeTime.uniformOffset(on: day.date)
            if let offset {
                var writer = DaySlots(iso: iso, offset: offset, date: day.date)
                writer.append(day.cells, iso: iso, to: &out)
            } else {
                for (slotIndex, cell) in day.cells.enumerated() {
                    if slotIndex > 0 { out.append(UInt8(ascii: ",")) }
                    appendSlot(cell, onDay: day.date, iso: iso, offset: nil, to: &out)
                }
            }
            out.append(contentsOf: JSONBytes.dayEnd)
        }
        out.append(contentsOf: JSONBytes.generatedAt)
        JSONWriter.appendString(generatedAt, to: &out)
        out.append(contentsOf: JSONBytes.monday)
        JSONWriter.appendString(grid.monday.description, to: &out)
        out.append(contentsOf: JSONBytes.page)
        JSONWriter.appendString(layout.url(.week(service.id, monday: grid.monday), language: main), to: &out)
        out.append(contentsOf: JSONBytes.service)
        JSONWriter.appendInteger(service.capacity, to: &out)
        out.append(contentsOf: JSONBytes.serviceID)
        JSONWriter.appendString(service.id, to: &out)
        out.append(contentsOf: JSONBytes.serviceName)
        JSONWriter.appendString(service.text(for: main).name, to: &out)
        out.append(contentsOf: JSONBytes.page)
        JSONWriter.appendString(layout.url(.service(service.id), language: main), to: &out)
        out.append(contentsOf: JSONBytes.timeZone)
        JSONWriter.appendString(RomeTime.identifier, to: &out)
        out.append(contentsOf: JSONBytes.version)
        JSONWriter.appendInteger(version, to: &out)
        out.append(contentsOf: JSONBytes.week)
        JSONWriter.appendString(SiteLayout.weekName(grid.monday), to: &out)
        out.append(UInt8(ascii: "}"))
        return out
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

    /// `appendSlot` for the slots of one day with one offset all day: the bytes around a slot's two clocks are
    /// made once per day, and each slot patches its clocks in and appends four runs, where the general way
    /// appended some forty pieces (the data files were a twentieth of a cold build's CPU).
    struct DaySlots {
        /// `{"end":"2026-12-03T00:00:00+01:00","free":`, the clock at `clock`.
        private var head: [UInt8]
        /// `,"start":"2026-12-03T00:00:00+01:00","state":`, the clock at `clock + 2`.
        private var middle: [UInt8]
        private let midnight: Int64
        private let offset: Int64
        private let date: CivilDate
        private static let clock = 19

        init(iso: [UInt8], offset: Int64, date: CivilDate) {
            midnight = Int64(date.dayNumber) * 86_400 - offset
            self.offset = offset
            self.date = date
            // "T00:00:00+01:00", as `RomeTime.appendISO8601` writes a clock and a whole-hour offset.
            var clock = Array("T00:00:00+".utf8)
            CivilDate.appendPadded(Int(offset) / 3_600, 2, to: &clock)
            clock.append(contentsOf: ":00".utf8)
            func instant(after prefix: [UInt8], before suffix: [UInt8]) -> [UInt8] {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(prefix.count + iso.count + clock.count + suffix.count)
                for part in [prefix, iso, clock, suffix] { bytes.append(contentsOf: part) }
                return bytes
            }
            head = instant(after: JSONBytes.end, before: JSONBytes.free)
            middle = instant(after: JSONBytes.start, before: JSONBytes.state)
        }

        /// Appends `cells`, comma-separated, as `appendSlot` would, each through the clocks patched in place
        /// but a slot not within this day; the fixed runs are appended from their memory, where appending the
        /// arrays retained and released each of them at every slot (a third of the file's time).
        mutating func append(_ cells: [SlotAvailability], iso: [UInt8], to out: inout [UInt8]) {
            let (midnight, date) = (self.midnight, self.date)
            let offset = self.offset
            let starts = JSONBytes.stateStarts
            head.withUnsafeMutableBufferPointer { head in
                middle.withUnsafeMutableBufferPointer { middle in
                    JSONBytes.stateTable.withUnsafeBufferPointer { states in
                        for (index, cell) in cells.enumerated() {
                            if index > 0 { out.append(UInt8(ascii: ",")) }
                            let start = cell.slot.startInstant - midnight
                            let end = cell.slot.endInstant - midnight
                            guard start >= 0 && start < 86_400 && end >= 0 && end < 86_400,
                                RomeTime.supportedInstants.contains(cell.slot.startInstant),
                                RomeTime.supportedInstants.contains(cell.slot.endInstant)
                            else {
                                appendSlot(cell, onDay: date, iso: iso, offset: offset, to: &out)
                                continue
                            }
                            Self.patch(head, at: Self.clock, seconds: Int(end))
                            Self.patch(middle, at: Self.clock + 2, seconds: Int(start))
                            out.append(contentsOf: UnsafeBufferPointer(head))
                            JSONWriter.appendInteger(cell.freeDesks, to: &out)
                            out.append(contentsOf: UnsafeBufferPointer(middle))
                            let state = WeekInputs.code(of: cell.state)
                            let stateBytes = states[starts[state]..<starts[state + 1]]
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: stateBytes))
                        }
                    }
                }
            }
        }

        /// Writes "HH:MM:SS" of `seconds` after midnight over `bytes[at..<at+8]`.
        private static func patch(_ bytes: UnsafeMutableBufferPointer<UInt8>, at: Int, seconds: Int) {
            let (hours, minutes, rest) = (seconds / 3_600, seconds / 60 % 60, seconds % 60)
            bytes[at] = UInt8(ascii: "0") + UInt8(hours / 10)
            bytes[at + 1] = UInt8(ascii: "0") + UInt8(hours % 10)
            bytes[at + 3] = UInt8(ascii: "0") + UInt8(minutes / 10)
            bytes[at + 4] = UInt8(ascii: "0") + UInt8(minutes % 10)
            bytes[at + 6] = UInt8(ascii: "0") + UInt8(rest / 10)
            bytes[at + 7] = UInt8(ascii: "0") + UInt8(rest % 10)
        }
    }

    /// The fixed parts of a week file's days and slots, as bytes once: appended from a short string's UTF-8
    /// view they went byte by byte, a few hundred times a file.
    private enum JSONBytes {
        static let days: [UInt8] = Array(#"{"days":["#.utf8)
        static let dayEnd: [UInt8] = Array("]}".utf8)
        static let generatedAt: [UInt8] = Array(#"],"generatedAt":"#.utf8)
        static let monday: [UInt8] = Array(#","monday":"#.utf8)
        static let page: [UInt8] = Array(#","page":"#.utf8)
        static let service: [UInt8] = Array(#","service":{"capacity":"#.utf8)
        static let serviceID: [UInt8] = Array(#","id":"#.utf8)
        static let serviceName: [UInt8] = Array(#","name":"#.utf8)
        static let timeZone: [UInt8] = Array(#"},"timeZone":"#.utf8)
        static let version: [UInt8] = Array(#","version":"#.utf8)
        static let week: [UInt8] = Array(#","week":"#.utf8)
        static let closed: [UInt8] = Array(#"{"closed":"#.utf8)
        static let closedReason: [UInt8] = Array(#","closedReason":"#.utf8)
        static let date: [UInt8] = Array(#","date":""#.utf8)
        static let slots: [UInt8] = Array(#"","slots":["#.utf8)
        static let end: [UInt8] = Array(#"{"end":""#.utf8)
        static let free: [UInt8] = Array(#"","free":"#.utf8)
        static let start: [UInt8] = Array(#","start":""#.utf8)
        static let state: [UInt8] = Array(#"","state":"#.utf8)
        /// Each state's JSON string and the slot's closing brace, one after another in the order of
        /// `WeekInputs.code(of:)` (a `switch`: `CellState.allCases` makes an array at every call):
        /// state `i` is `stateTable[stateStarts[i]..<stateStarts[i + 1]]`.
        static let stateTable: [UInt8] = stateBytes.flatMap { $0 }
        static let stateStarts: [Int] = stateBytes.reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.count) }
        private static let stateBytes: [[UInt8]] = CellState.allCases
            .sorted { WeekInputs.code(of: $0) < WeekInputs.code(of: $1) }
            .map { state in
                var bytes: [UInt8] = []
                JSONWriter.appendString(state.rawValue, to: &bytes)
                bytes.append(UInt8(ascii: "}"))
                return bytes
            }
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
