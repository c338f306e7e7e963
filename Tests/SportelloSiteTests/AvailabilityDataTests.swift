import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// Issue 18 point 5: the week and next-free JSON files beside the pages (docs/schema/).
@Suite struct AvailabilityDataTests {
    func json(_ path: String) throws -> [String: JSONValue] {
        let data = try #require(FileManager.default.contents(atPath: path))
        guard case .object(let object) = try JSONValue.parse(data) else { throw CocoaError(.fileReadCorruptFile) }
        return object
    }

    func slots(_ day: JSONValue?) -> [[String: JSONValue]] {
        guard case .object(let day)? = day, case .array(let slots)? = day["slots"] else { return [] }
        return slots.compactMap { if case .object(let slot) = $0 { slot } else { nil } }
    }

    func days(_ week: [String: JSONValue]) -> [JSONValue] {
        if case .array(let days)? = week["days"] { days } else { [] }
    }

    /// Spring: Wednesday 24 March 2027, 10:00 (CET). Sunday 28 March the clocks go forward and Monday 29 is
    /// Easter Monday, a holiday. One slot full, one held; the morning's first slots are past.
    @Test func aWeekFileHoldsEverySlotWithItsStateAndOffsetAcrossTheSpringChange() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output, inputsFingerprint: [7])
        let service = try #require(publisher.catalogue.service(id: "carta-identita"))
        let now = rome("2027-03-24", "10:00")
        let thursday = service.slots(on: CivilDate(iso: "2027-03-25")!)
        let occupancy = FixtureOccupancy()
        occupancy.set(service.id, thursday[0].startInstant, SlotOccupancy(booked: service.capacity))
        occupancy.set(service.id, thursday[1].startInstant, SlotOccupancy(held: service.capacity))
        let report = try publisher.publishAll(now: now, source: occupancy)
        // One file per week and one next.json per service, in the main language's folder only.
        #expect(report.data == publisher.catalogue.services.count * 14)
        #expect(!FileManager.default.fileExists(atPath: "\(output)/en/servizi/carta-identita/2027-W12.json"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2027-W12.json.gz"))

        let week = try json("\(output)/servizi/carta-identita/2027-W12.json")
        #expect(week["version"] == .number(1))
        #expect(week["week"] == .string("2027-W12") && week["monday"] == .string("2027-03-22"))
        #expect(week["timeZone"] == .string("Europe/Rome"))
        #expect(week["generatedAt"] == .string("2027-03-24T10:00:00+01:00"))
        #expect(week["page"] == .string("/servizi/carta-identita/2027-W12.html"))
        guard case .object(let facts)? = week["service"] else { throw CocoaError(.fileReadCorruptFile) }
        #expect(facts["id"] == .string("carta-identita") && facts["capacity"] == .number(Double(service.capacity)))
        let weekDays = days(week)
        #expect(weekDays.count == 7)
        // Monday: every slot past. Wednesday: past until 12:00 (two hours' notice), free after.
        #expect(slots(weekDays[0]).allSatisfy { $0["state"] == .string("past") && $0["free"] == .number(0) })
        let wednesday = slots(weekDays[2])
        #expect(wednesday.first?["state"] == .string("past"))
        #expect(wednesday.last?["state"] == .string("free"))
        #expect(wednesday.last?["free"] == .number(Double(service.capacity)))
        // Thursday: the full slot, the held one, then free, with their instants.
        let thursdaySlots = slots(weekDays[3])
        #expect(thursdaySlots.count == thursday.count)
        #expect(thursdaySlots[0]["state"] == .string("booked") && thursdaySlots[0]["free"] == .number(0))
        #expect(thursdaySlots[1]["state"] == .string("held"))
        #expect(thursdaySlots[2]["state"] == .string("free"))
        #expect(thursdaySlots[0]["start"] == .string("2027-03-25T\(thursday[0].start):00+01:00"))
        #expect(thursdaySlots[0]["end"] == .string("2027-03-25T\(thursday[0].end):00+01:00"))
        // Sunday: no opening hours, closed, no slots.
        guard case .object(let sunday) = weekDays[6] else { throw CocoaError(.fileReadCorruptFile) }
        #expect(sunday["closed"] == .bool(true) && slots(weekDays[6]).isEmpty && sunday["closedReason"] == nil)

        // The week after the change: summer time, and Easter Monday closed with its reason.
        let after = try json("\(output)/servizi/carta-identita/2027-W13.json")
        guard case .object(let easterMonday) = days(after)[0] else { throw CocoaError(.fileReadCorruptFile) }
        #expect(easterMonday["closed"] == .bool(true))
        #expect(easterMonday["closedReason"] != nil)
        let tuesday = slots(days(after)[1])
        #expect(!tuesday.isEmpty)
        #expect(
            tuesday.allSatisfy {
                if case .string(let start)? = $0["start"] { start.hasSuffix("+02:00") } else { false }
            })
        #expect(tuesday.first?["state"] == .string("free"))

        // next.json: free starts only, in time order, the first after the notice, bounded.
        let next = try json("\(output)/servizi/carta-identita/next.json")
        guard case .array(let free)? = next["slots"] else { throw CocoaError(.fileReadCorruptFile) }
        #expect(free.count == AvailabilityData.nextLimit)
        let starts = free.compactMap { item -> String? in
            if case .object(let slot) = item, case .string(let start)? = slot["start"] { start } else { nil }
        }
        #expect(starts == starts.sorted() && starts.count == free.count)
        #expect(
            starts.first
                == wednesday.first { $0["state"] == .string("free") }.flatMap { $0["start"] }.map {
                    if case .string(let text) = $0 { text } else { "" }
                })
        #expect(!starts.contains { $0.hasPrefix("2027-03-25T\(thursday[0].start)") })
        if case .object(let first) = free[0] {
            #expect(first["state"] == .string("free"))
            if case .string(let page)? = first["page"] {
                #expect(page.hasPrefix("/servizi/carta-identita/2027-W12.html#slot-"))
            }
        }
    }

    /// Autumn: the week of Sunday 25 October 2026 is summer time, the next one is not. The data file follows
    /// its page: unchanged inputs rewrite neither (and keep `generatedAt`), a booking rewrites both.
    @Test func theDataFileChangesExactlyWithItsPageAcrossTheAutumnChange() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let now = rome("2026-10-21", "08:00")
        let occupancy = FixtureOccupancy()
        for fingerprint in [[UInt8]([9]), nil] {
            let publisher = try demoPublisher(output: output, inputsFingerprint: fingerprint)
            try publisher.publishAll(now: now, source: occupancy)
            let file = "\(output)/servizi/carta-identita/2026-W44.json"
            let before = read(file)
            #expect(before.contains("+01:00\"") && !before.contains("+02:00\",\"state"))
            #expect(
                read("\(output)/servizi/carta-identita/2026-W43.json").contains(
                    "\"start\":\"2026-10-22T08:30:00+02:00\""))
            let again = try publisher.publishAll(now: now + 60, source: occupancy)
            #expect(again.data == 0 && read(file) == before)
            let service = try #require(publisher.catalogue.service(id: "carta-identita"))
            let slot = service.slots(on: CivilDate(iso: "2026-10-27")!)[0]
            occupancy.set(service.id, slot.startInstant, SlotOccupancy(booked: service.capacity))
            let pages = SitePublisher.pages(touchedBy: service.id, slotStart: slot.startInstant)
            let report = try publisher.publish(pages, now: now + 120, source: occupancy)
            #expect(report.data == 1)
            #expect(read(file).contains("\"generatedAt\":\"2026-10-21T08:02:00+02:00\""))
            #expect(read(file).contains("\"state\":\"booked\""))
            occupancy.set(service.id, slot.startInstant, .empty)
            try publisher.publish(pages, now: now, source: occupancy)
        }
    }

    /// The data file is compared with the one on disk around its stamp, without reading it as JSON: unchanged
    /// content keeps its stamp and only a missing `.gz` is put back; a file on disk that says anything else
    /// (another content, a stamp that is not a text, a cut file) is replaced whole, with a fresh stamp, as valid JSON.
    @Test func aDataFileIsRewrittenExactlyWhenItsContentDiffers() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let now = rome("2026-10-21", "22:00")
        let publisher = try demoPublisher(output: output)
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        let file = "\(output)/servizi/carta-identita/next.json"
        let before = read(file)
        #expect(before.contains("\"generatedAt\":\"2026-10-21T22:00:00+02:00\""))
        try FileManager.default.removeItem(atPath: file + ".gz")
        let pages: Set<PageID> = [.service("carta-identita")]
        var report = try publisher.publish(pages, now: now + 60, source: FixtureOccupancy())
        #expect(report.data == 0 && read(file) == before)
        #expect(FileManager.default.fileExists(atPath: file + ".gz"))
        for damaged in [
            before.replacingOccurrences(of: "\"version\":1", with: "\"version\":2"),
            before.replacingOccurrences(of: "\"2026-10-21T22:00:00+02:00\"", with: "null"),
            String(before.dropLast()),
        ] {
            try Data(damaged.utf8).write(to: URL(fileURLWithPath: file))
            report = try publisher.publish(pages, now: now + 120, source: FixtureOccupancy())
            #expect(report.data == 1)
            #expect(
                read(file)
                    == before.replacingOccurrences(of: "2026-10-21T22:00:00+02:00", with: "2026-10-21T22:02:00+02:00"))
            let parsed = try JSONValue.parse(Data(read(file).utf8))
            if case .object(let object) = parsed {
                #expect(object["generatedAt"] == .string("2026-10-21T22:02:00+02:00"))
            } else {
                Issue.record("not an object")
            }
            try Data(before.utf8).write(to: URL(fileURLWithPath: file))
        }
    }

    /// Weeks no longer published lose their data file with their page.
    @Test func aWeekThatIsNoLongerPublishedLosesItsDataFile() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let now = rome("2026-11-25", "08:00")
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W48.json"))
        try publisher.publishAll(now: now + 8 * 86_400, source: FixtureOccupancy())
        #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W48.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W48.json.gz"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/2026-W49.json"))
    }

    /// A week file is written straight as bytes; they must be what `JSONWriter` makes of the dictionaries the
    /// file was made of before (kept here as the reference): every service, a full, a held and a past slot, a
    /// holiday (Easter Monday 2027) and the spring change.
    @Test func aWeekFileIsTheJSONOfItsDictionaries() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let publisher = try demoPublisher(output: output)
        let renderer = publisher.renderer
        let now = rome("2027-03-24", "10:00")
        let texts = renderer.texts(renderer.layout.mainLanguage)
        var checked = 0
        for service in publisher.catalogue.publicServices {
            var occupancy: [Int64: SlotOccupancy] = [:]
            let thursday = service.slots(on: try #require(CivilDate(iso: "2027-03-25")))
            if thursday.count > 1 {
                occupancy[thursday[0].startInstant] = SlotOccupancy(booked: service.capacity)
                occupancy[thursday[1].startInstant] = SlotOccupancy(held: 1)
            }
            for monday in ["2027-03-22", "2027-03-29"] {
                let grid = service.week(
                    startingOn: try #require(CivilDate(iso: monday)), occupancy: occupancy, now: now)
                let layout = renderer.layout
                var reference: [String: Any] = [
                    "version": AvailabilityData.version,
                    "service": AvailabilityData.serviceValue(service, renderer: renderer),
                    "week": SiteLayout.weekName(grid.monday),
                    "monday": grid.monday.description,
                    "timeZone": RomeTime.identifier,
                    "page": layout.url(.week(service.id, monday: grid.monday), language: layout.mainLanguage),
                    "generatedAt": "2027-03-24T10:00:00+01:00",
                ]
                reference["days"] = grid.days.map { day -> [String: Any] in
                    var value: [String: Any] = [
                        "date": day.date.description, "closed": day.closedReason != nil || day.cells.isEmpty,
                        "slots": day.cells.map(AvailabilityData.slotValue),
                    ]
                    if let reason = day.closedReason { value["closedReason"] = renderer.closedText(reason, texts) }
                    return value
                }
                let written = AvailabilityData.week(
                    service, grid: grid, renderer: renderer, generatedAt: "2027-03-24T10:00:00+01:00")
                #expect(written == JSONWriter.bytes(reference), "\(service.id) \(monday)")
                checked += grid.days.reduce(0) { $0 + $1.cells.count }
            }
        }
        #expect(checked > 100)
    }
}
