import SportelloTesting
import Testing

@testable import SportelloCore

@Suite struct SlotTests {
    func service(_ body: String) throws -> Service {
        let configuration = try makeConfiguration("[{\"id\": \"s\", \"name\": \"S\", \(body)}]")
        return try #require(Catalogue(configuration: configuration).service(id: "s"))
    }

    @Test func rangesAreCutIntoSlotsAndPausesSkipped() throws {
        let s = try service(
            #""slotMinutes": 20, "schedule": {"mon": ["08:30-10:30", "14:00-15:00"]}, "pauses": ["09:30-09:45"]"#)
        let labels = s.slots(on: date("2026-11-23")).map(\.start.description)
        #expect(labels == ["08:30", "08:50", "09:10", "09:45", "10:05", "14:00", "14:20", "14:40"])
        #expect(s.slots(on: date("2026-11-24")).isEmpty)  // Tuesday: no schedule
    }

    @Test func summerHoursReplaceTheScheduleOnTheirDaysEveryYear() throws {
        let s = try service(
            #"""
            "slotMinutes": 60, "schedule": {"mon": ["09:00-12:00", "15:00-17:00"]}, "pauses": ["10:00-11:00"],
            "seasons": [{"from": "07-01", "to": "08-31", "schedule": {"mon": ["08:00-10:00"], "sat": ["08:00-09:00"]}},
                        {"from": "12-24", "to": "01-06", "schedule": {"mon": ["09:00-10:00"]}, "pauses": []}]
            """#)
        // An ordinary Monday: two ranges, the pause skipped.
        #expect(s.slots(on: date("2026-06-29")).map(\.start.description) == ["09:00", "11:00", "15:00", "16:00"])
        // Summer Mondays and Saturdays, in two different years; the usual pause still applies.
        #expect(s.slots(on: date("2026-07-06")).map(\.start.description) == ["08:00", "09:00"])
        #expect(s.slots(on: date("2027-08-30")).map(\.start.description) == ["08:00", "09:00"])
        #expect(s.slots(on: date("2026-07-04")).map(\.start.description) == ["08:00"])
        #expect(s.slots(on: date("2026-06-27")).isEmpty)  // a Saturday before summer
        #expect(s.slots(on: date("2026-09-07")).count == 4)  // back to normal
        // A season over New Year (and its own empty pauses); 28 December 2026 and 4 January 2027 are Mondays.
        #expect(s.slots(on: date("2026-12-28")).map(\.start.description) == ["09:00"])
        #expect(s.slots(on: date("2027-01-04")).map(\.start.description) == ["09:00"])
        #expect(s.slots(on: date("2027-01-11")).count == 4)
        // The week grid marks a summer Saturday as a working day.
        let grid = s.week(startingOn: date("2026-06-29"), occupancy: [:], now: 0)
        #expect(grid.days[5].cells.count == 1)
    }

    @Test func aSlotThatWouldOverrunTheRangeIsNotOffered() throws {
        let s = try service(#""slotMinutes": 45, "schedule": {"mon": ["09:00-11:00"]}"#)
        #expect(s.slots(on: date("2026-11-23")).map(\.start.description) == ["09:00", "09:45"])
    }

    @Test func springForwardDayOffersNoSlotInTheMissingHour() throws {
        let s = try service(#""slotMinutes": 30, "schedule": {"sun": ["01:00-04:00"]}"#)
        let slots = s.slots(on: date("2026-03-29"))
        #expect(slots.map(\.start.description) == ["01:00", "01:30", "03:00", "03:30"])
        #expect(slots.allSatisfy { $0.durationMinutes == 30 })
        // 01:30 CET lasts half an hour of real time and ends at 03:00 CEST.
        #expect(slots[1].end.description == "03:00")
        #expect(Set(slots.map(\.startInstant)).count == slots.count)
    }

    @Test func fallBackDayOffersEachLabelOnce() throws {
        let s = try service(#""slotMinutes": 30, "schedule": {"sun": ["01:00-04:00"]}"#)
        let slots = s.slots(on: date("2026-10-25"))
        #expect(slots.map(\.start.description) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"])
        #expect(Set(slots.map(\.startInstant)).count == 6)
        #expect(zip(slots, slots.dropFirst()).allSatisfy { $0.startInstant < $1.startInstant })
    }

    @Test func ordinaryOfficeHoursOnDSTDaysKeepLocalTimes() throws {
        let s = try service(#""slotMinutes": 60, "schedule": {"sat": ["09:00-12:00"], "mon": ["09:00-12:00"]}"#)
        for day in ["2026-03-28", "2026-03-30", "2026-10-24", "2026-10-26"] {
            let slots = s.slots(on: date(day))
            #expect(slots.map(\.start.description) == ["09:00", "10:00", "11:00"], "\(day)")
            for slot in slots { #expect(RomeTime.local(slot.startInstant).minutes == slot.start.minutes) }
        }
        // Monday 30 March is summer time: 09:00 is 07:00 UTC.
        #expect(s.slots(on: date("2026-03-30"))[0].startInstant % 86_400 == 7 * 3_600)
        #expect(s.slots(on: date("2026-03-28"))[0].startInstant % 86_400 == 8 * 3_600)
    }

    @Test func nationalHolidaysPatronSaintAndClosuresCloseTheDay() throws {
        let configuration = try makeConfiguration(
            #"[{"id": "s", "name": "S", "slotMinutes": 60, "schedule": {"mon": ["09:00-11:00"], "tue": ["09:00-11:00"], "wed": ["09:00-11:00"], "thu": ["09:00-11:00"], "fri": ["09:00-11:00"]}}]"#,
            closures:
                #"[{"date": "2026-12-09", "reason": "Disinfestazione"}, {"from": "2027-01-11", "to": "2027-01-12", "reason": "Trasloco", "services": ["s"]}]"#,
            patron: #", "patronSaint": {"date": "12-10", "name": "San Nessuno"}"#)
        let s = try #require(Catalogue(configuration: configuration).service(id: "s"))
        #expect(s.slots(on: date("2026-12-08")).isEmpty)  // Immacolata
        #expect(s.slots(on: date("2026-12-09")).isEmpty)  // closure
        #expect(s.slots(on: date("2026-12-10")).isEmpty)  // patron saint
        #expect(s.slots(on: date("2026-12-11")).count == 2)
        #expect(s.closedReason(on: date("2026-12-09")) == .closure(reason: "Disinfestazione"))
        #expect(s.closedReason(on: date("2026-12-10")) == .patronSaint(name: "San Nessuno"))
        #expect(s.slots(on: date("2027-01-12")).isEmpty)
        #expect(s.slots(on: date("2027-01-13")).count == 2)
        #expect(s.slots(on: date("2027-03-29")).isEmpty)  // Easter Monday 2027
        #expect(s.slots(on: date("2027-03-30")).count == 2)
    }

    @Test func slotLookupByInstantFindsOnlyScheduledStarts() throws {
        let s = try service(#""slotMinutes": 30, "schedule": {"mon": ["09:00-10:00"]}"#)
        #expect(s.slot(startingAt: instant("2026-11-23", "09:30"))?.start.description == "09:30")
        #expect(s.slot(startingAt: instant("2026-11-23", "09:15")) == nil)
        #expect(s.slot(startingAt: instant("2026-11-23", "10:00")) == nil)
        #expect(s.slot(startingAt: instant("2026-11-24", "09:00")) == nil)
        #expect(s.slot(startingAt: -99_999_999_999) == nil)
    }
}

@Suite struct AvailabilityTests {
    let service: Service

    init() throws {
        let configuration = try makeConfiguration(
            #"""
            [{"id": "s", "name": "S", "slotMinutes": 30, "capacity": 2,
              "schedule": {"mon": ["09:00-12:00"], "tue": ["09:00-12:00"], "wed": ["09:00-12:00"], "thu": ["09:00-12:00"], "fri": ["09:00-12:00"]},
              "window": {"minimumNoticeMinutes": 60, "maxDaysAhead": 7}}]
            """#)
        service = try #require(Catalogue(configuration: configuration).service(id: "s"))
    }

    func state(_ day: String, _ time: String, _ occupancy: SlotOccupancy = .empty, now: Int64) throws -> CellState {
        let slot = try #require(service.slot(startingAt: instant(day, time)))
        return service.availability(of: slot, occupancy: occupancy, now: now).state
    }

    @Test func everyPublicStateFollowsFromTimeAndOccupancy() throws {
        let now = instant("2026-11-25", "10:00")  // Wednesday
        #expect(try state("2026-11-25", "09:30", now: now) == .past)
        #expect(try state("2026-11-25", "10:00", now: now) == .past)
        #expect(try state("2026-11-25", "10:30", now: now) == .past)  // inside the hour of notice
        #expect(try state("2026-11-25", "11:00", now: now) == .past)  // exactly at the notice edge
        #expect(try state("2026-11-25", "11:30", now: now) == .free)
        #expect(try state("2026-12-02", "11:30", now: now) == .free)  // today + 7: the last open day
        #expect(try state("2026-12-03", "09:00", now: now) == .notYetBookable)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(booked: 1), now: now) == .free)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(booked: 2), now: now) == .booked)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(booked: 1, held: 1), now: now) == .held)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(held: 2), now: now) == .held)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(blocked: 2), now: now) == .unavailable)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(booked: 1, blocked: 1), now: now) == .unavailable)
        #expect(try state("2026-11-26", "09:00", SlotOccupancy(booked: 5), now: now) == .booked)
    }

    @Test func theWindowOpensADayAtLocalMidnight() throws {
        let beforeMidnight = instant("2026-11-25", "23:59")
        let afterMidnight = instant("2026-11-26", "00:00")
        #expect(try state("2026-12-03", "09:00", now: beforeMidnight) == .notYetBookable)
        #expect(try state("2026-12-03", "09:00", now: afterMidnight) == .free)
    }

    @Test func weekGridHasRowsForEveryStartAndClosedDays() throws {
        let now = instant("2026-12-04", "08:00")  // the window (7 days) reaches Friday 11th
        let grid = service.week(
            startingOn: date("2026-12-07"), occupancy: [instant("2026-12-07", "09:00"): SlotOccupancy(booked: 2)],
            now: now)
        #expect(grid.times.map(\.description) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"])
        #expect(grid.days.count == 7)
        #expect(grid.days[0].cells.first?.state == .booked)
        #expect(grid.days[1].closedReason == .holiday(key: "holiday.immacolata"))  // 8 December
        #expect(grid.days[1].cells.isEmpty)
        #expect(grid.days[5].closedReason == nil && grid.days[5].cells.isEmpty)  // Saturday: not a working day
        #expect(grid.freeSlotCount == 5 + 3 * 6)
    }

    @Test func nextFreeSlotSkipsFullAndPastSlots() throws {
        let now = instant("2026-11-27", "11:05")  // Friday: only 12:00 would remain, and it is inside the notice
        var occupancy: [Int64: SlotOccupancy] = [:]
        occupancy[instant("2026-11-30", "09:00")] = SlotOccupancy(booked: 2)
        let next = try #require(service.nextFreeSlot(now: now, days: 14, occupancy: occupancy))
        #expect(next.slot.date == date("2026-11-30"))
        #expect(next.slot.start.description == "09:30")
        #expect(next.freeDesks == 2)
    }
}
