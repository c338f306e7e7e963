import SportelloTesting
import Testing

@testable import SportelloCore

/// Time arithmetic is total: no `Int64` or `Int` a request can carry traps it, and inside the supported
/// range the answers are still exact (DST days included).
@Suite struct TimeBoundsTests {
    static let extremes: [Int64] = [
        .min, .min + 1, .min / 2, -9_223_372_036_854_772_208, -62_135_596_800, -1, 0, 1, 253_402_300_799,
        RomeTime.supportedInstants.lowerBound - 1, RomeTime.supportedInstants.lowerBound,
        RomeTime.supportedInstants.upperBound,
        RomeTime.supportedInstants.upperBound + 1, 9_223_372_036_854_772_207, 9_223_372_036_854_772_208, .max / 2,
        .max - 1, .max,
    ]

    func service() throws -> Service {
        let configuration = try makeConfiguration(
            #"""
            [{"id": "s", "name": "S", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"], "sun": ["01:00-04:00"]}}]
            """#)
        return try #require(Catalogue(configuration: configuration).service(id: "s"))
    }

    @Test(arguments: extremes)
    func everyInstantHasALocalTimeAndNoSlotOutsideTheRange(_ instant: Int64) throws {
        let local = RomeTime.local(instant)
        #expect(CivilDate.supportedYears.contains(local.date.year))
        #expect((0..<1_440).contains(local.minutes))
        #expect([3_600, 7_200].contains(RomeTime.offset(at: instant)))
        _ = RomeTime.uniformOffset(on: local.date)
        let service = try service()
        let slot = service.slot(startingAt: instant)
        if !RomeTime.supportedInstants.contains(instant) { #expect(slot == nil) }
        if let slot { #expect(slot.startInstant == instant) }
        _ = service.slots(on: local.date)
        _ = service.week(startingOn: local.date.mondayOfWeek, occupancy: [:], now: instant)
        _ = service.nextFreeSlot(now: instant, days: 3, occupancy: [:])
        _ = service.availability(
            of: Slot(date: local.date, start: LocalTime(minutes: 0)!, startInstant: instant, endInstant: instant),
            occupancy: .empty, now: instant)
        _ = local.date.isoWeek
        _ = ItalianHolidays.holiday(on: local.date)
    }

    @Test func theFirstSlotThatUsedToOverflowIsRefused() throws {
        // 9223372036854772208 + 3600 (the offset search) was the first to overflow in RomeTime.
        let service = try service()
        #expect(service.slot(startingAt: 9_223_372_036_854_772_208) == nil)
        #expect(service.slot(startingAt: .max) == nil)
        #expect(service.slot(startingAt: .min) == nil)
    }

    @Test(arguments: [
        Int.min, Int.min + 1, -1_000_000_000_000, Int(Int32.min), 0, Int(Int32.max), 1_000_000_000_000, Int.max - 1,
        Int.max,
    ])
    func dayNumbersAndDayArithmeticSaturate(_ days: Int) {
        let date = CivilDate(dayNumber: days)
        #expect(CivilDate.supportedDayNumbers.contains(date.dayNumber))
        #expect(CivilDate.supportedYears.contains(date.year))
        let today = CivilDate(year: 2026, month: 12, day: 1)!
        #expect(CivilDate.supportedDayNumbers.contains(today.adding(days: days).dayNumber))
        #expect(CivilDate.supportedDayNumbers.contains(date.adding(days: days).dayNumber))
        _ = date.weekday
        _ = date.mondayOfWeek
        _ = date.description
    }

    @Test func yearsOutsideTheRangeClampTheirDayNumber() {
        for year in [Int.max, Int.min, 1_000_000, -1_000_000] {
            let date = CivilDate(year: year, month: 1, day: 4)!
            #expect(CivilDate.supportedDayNumbers.contains(date.dayNumber))
            _ = date.weekday
            _ = date.isoWeek
            _ = date.mondayOfWeek.adding(days: Int.max)
            _ = RomeTime.uniformOffset(on: date)
            _ = RomeTime.instant(date: date, minutes: 600)
            _ = RomeTime.summerTime(in: year)
            _ = ItalianHolidays.holiday(on: date)
        }
        #expect(CivilDate(year: 999_999, month: 12, day: 31)?.dayNumber == CivilDate.supportedDayNumbers.upperBound)
        #expect(CivilDate(year: -999_999, month: 1, day: 1)?.dayNumber == CivilDate.supportedDayNumbers.lowerBound)
    }

    @Test func theLiteralBoundsAreTheSupportedDays() {
        #expect(
            RomeTime.supportedInstants.lowerBound == Int64(CivilDate.supportedDayNumbers.lowerBound) * 86_400 + 7_200)
        #expect(
            RomeTime.supportedInstants.upperBound == Int64(CivilDate.supportedDayNumbers.upperBound) * 86_400 + 86_399
                - 7_200)
        #expect(
            RomeTime.local(RomeTime.supportedInstants.lowerBound).date.dayNumber
                == CivilDate.supportedDayNumbers.lowerBound)
        #expect(
            RomeTime.local(RomeTime.supportedInstants.upperBound).date.dayNumber
                == CivilDate.supportedDayNumbers.upperBound)
    }

    @Test func wallClockMinutesOutsideADayHaveNoInstant() {
        let day = CivilDate(year: 2026, month: 12, day: 1)!
        #expect(RomeTime.instant(date: day, minutes: Int.max) == nil)
        #expect(RomeTime.instant(date: day, minutes: Int.min) == nil)
        #expect(RomeTime.instant(date: day, minutes: -1) == nil)
        #expect(RomeTime.instant(date: day, minutes: 1_440) != nil)
    }

    @Test func theRequestableRangeCoversWhatPagesOfferAndNoMore() throws {
        let service = try service()  // maxDaysAhead 30 by default
        let now = instant("2026-11-25", "08:00")
        let range = service.requestableInstants(now: now, weeksPublished: 13)
        // Last week's slots (a stale page: "slot past"), the last bookable day, the last published week.
        #expect(range.contains(instant("2026-11-16", "09:00")))
        #expect(range.contains(instant("2026-12-25", "09:00")))
        #expect(range.contains(instant("2027-02-22", "09:00")))
        #expect(!range.contains(instant("2026-11-09", "09:00")))
        #expect(!range.contains(instant("2027-03-15", "09:00")))
        #expect(!range.contains(.max) && !range.contains(.min))
        // A window longer than the published weeks extends it.
        #expect(
            try self.service(
                #""slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}, "window": {"maxDaysAhead": 200}"#
            )
            .requestableInstants(now: now, weeksPublished: 1).contains(instant("2027-06-07", "09:00")))
        // Total for any clock and any setting.
        _ = service.requestableInstants(now: .max, weeksPublished: .max)
        _ = service.requestableInstants(now: .min, weeksPublished: .min)
    }

    func service(_ body: String) throws -> Service {
        let configuration = try makeConfiguration("[{\"id\": \"s\", \"name\": \"S\", \(body)}]")
        return try #require(Catalogue(configuration: configuration).service(id: "s"))
    }

    @Test func theBoundsChangeNothingNearToday() throws {
        let service = try service()
        // DST days keep their local times: spring forward skips 02:xx, fall back offers each label once.
        #expect(service.slots(on: date("2028-03-26")).map(\.start.description) == ["01:00", "01:30", "03:00", "03:30"])
        #expect(
            service.slots(on: date("2027-10-31")).map(\.start.description) == [
                "01:00", "01:30", "02:00", "02:30", "03:00", "03:30",
            ])
        let nine = instant("2026-11-30", "09:00")
        #expect(service.slot(startingAt: nine)?.start.description == "09:00")
        #expect(RomeTime.local(nine).date == date("2026-11-30"))
        // Far but supported dates stay exact.
        let far = try #require(CivilDate(year: 2300, month: 3, day: 25))
        #expect(RomeTime.local(Int64(far.dayNumber) * 86_400 + 43_200).date == far)
    }
}
