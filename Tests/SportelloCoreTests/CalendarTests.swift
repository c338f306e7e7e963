import Foundation
import Testing

@testable import SportelloCore

@Suite struct CivilDateTests {
    @Test func dayNumberRoundTripsForEveryDayOfFourCenturies() {
        // 1900-01-01 … 2299-12-31, every day.
        let start = CivilDate(year: 1900, month: 1, day: 1)!.dayNumber
        let end = CivilDate(year: 2299, month: 12, day: 31)!.dayNumber
        var previous = CivilDate(dayNumber: start - 1)
        for number in start...end {
            let date = CivilDate(dayNumber: number)
            #expect(date.dayNumber == number)
            #expect(CivilDate(year: date.year, month: date.month, day: date.day) == date)
            #expect(previous < date)
            previous = date
        }
    }

    @Test func knownDates() {
        #expect(CivilDate(year: 1970, month: 1, day: 1)?.dayNumber == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1)?.dayNumber == 11_017)
        #expect(CivilDate(year: 2026, month: 11, day: 25)?.weekday == .wednesday)
        #expect(CivilDate(year: 2024, month: 2, day: 29)?.weekday == .thursday)
        #expect(CivilDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2100, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2026, month: 4, day: 31) == nil)
        #expect(CivilDate(year: 2026, month: 13, day: 1) == nil)
        #expect(CivilDate(year: 2026, month: 0, day: 1) == nil)
    }

    @Test func isoParsingIsStrict() {
        #expect(CivilDate(iso: "2026-11-25") == CivilDate(year: 2026, month: 11, day: 25))
        for bad in ["2026-11-5", "2026/11/25", "26-11-25", "2026-11-25T", "", "2026-02-30", "２０２６-11-25", "+026-11-25"]
        {
            #expect(CivilDate(iso: bad) == nil, "\(bad)")
        }
        #expect(CivilDate(year: 2026, month: 3, day: 9)?.description == "2026-03-09")
    }

    @Test func isoWeeksAgreeWithFoundation() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = CivilDate(year: 2015, month: 1, day: 1)!.dayNumber
        for number in start..<(start + 366 * 20) {
            let date = CivilDate(dayNumber: number)
            let foundation = Date(timeIntervalSince1970: TimeInterval(number) * 86_400)
            let components = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear, .weekday], from: foundation)
            #expect(date.isoWeek.year == components.yearForWeekOfYear)
            #expect(date.isoWeek.week == components.weekOfYear)
            #expect(date.mondayOfWeek.weekday == .monday)
            #expect(date.mondayOfWeek <= date && date.dayNumber - date.mondayOfWeek.dayNumber < 7)
        }
    }

    @Test func localTimeParsing() {
        #expect(LocalTime(parsing: "8:30")?.minutes == 510)
        #expect(LocalTime(parsing: "08:30")?.description == "08:30")
        #expect(LocalTime(parsing: "24:00")?.minutes == 1440)
        for bad in ["24:01", "25:00", "8:60", "8", "8:5", ":30", "8:30:00", "-1:00", "８:30", "08:3０"] {
            #expect(LocalTime(parsing: Substring(bad)) == nil, "\(bad)")
        }
        #expect(TimeRange(parsing: "8:30-12:30")?.description == "08:30-12:30")
        #expect(TimeRange(parsing: "08:30 – 12:30") != nil)
        #expect(TimeRange(parsing: "12:30-08:30") == nil)
        #expect(TimeRange(parsing: "8:30-25:00") == nil)
        #expect(TimeRange(parsing: "8:30-8:30") == nil)
    }
}

@Suite struct RomeTimeTests {
    @Test func offsetsMatchSystemZoneInfoEveryHalfHourAroundEachChange() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Rome"))
        for year in 1996...2037 {
            let summer = RomeTime.summerTime(in: year)
            for edge in [summer.start, summer.end] {
                for step in -6...6 {
                    let instant = edge + Int64(step) * 1_800
                    let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
                    #expect(RomeTime.offset(at: instant) == Int64(expected), "\(year) \(instant)")
                }
            }
        }
    }

    @Test func offsetsMatchSystemZoneInfoAtNoonEveryDay() throws {
        let zone = try #require(TimeZone(identifier: "Europe/Rome"))
        let start = CivilDate(year: 2000, month: 1, day: 1)!.dayNumber
        let end = CivilDate(year: 2037, month: 12, day: 31)!.dayNumber
        for day in start...end {
            let instant = Int64(day) * 86_400 + 11 * 3_600
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
            #expect(RomeTime.offset(at: instant) == Int64(expected))
        }
    }

    @Test func springForwardDayHasNoTwoThirty() throws {
        // 29 March 2026: clocks jump from 02:00 CET to 03:00 CEST.
        let day = try #require(CivilDate(year: 2026, month: 3, day: 29))
        #expect(RomeTime.instant(date: day, minutes: 2 * 60 + 30) == nil)
        #expect(RomeTime.instant(date: day, minutes: 2 * 60) == nil)
        let oneThirty = try #require(RomeTime.instant(date: day, minutes: 90))
        let three = try #require(RomeTime.instant(date: day, minutes: 180))
        #expect(three - oneThirty == 1_800)
        #expect(RomeTime.local(three).minutes == 180)
    }

    @Test func fallBackDayResolvesTheRepeatedHourToSummerTime() throws {
        // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
        let day = try #require(CivilDate(year: 2026, month: 10, day: 25))
        let twoThirty = try #require(RomeTime.instant(date: day, minutes: 150))
        #expect(RomeTime.offset(at: twoThirty) == 7_200)
        #expect(RomeTime.local(twoThirty).minutes == 150)
        #expect(RomeTime.local(twoThirty + 3_600).minutes == 150)  // the second 02:30
        let three = try #require(RomeTime.instant(date: day, minutes: 180))
        #expect(three - twoThirty == 2 * 3_600 - 1_800)
    }

    @Test func localRoundTripsEveryQuarterHourOfAYear() {
        let start = Int64(CivilDate(year: 2026, month: 1, day: 1)!.dayNumber) * 86_400
        var instant = start
        while instant < start + 366 * 86_400 {
            let local = RomeTime.local(instant)
            let back = RomeTime.instant(date: local.date, minutes: local.minutes)
            // Only the second occurrence of the repeated autumn hour maps back to the first.
            if back != instant {
                #expect(back == instant - 3_600)
                #expect(RomeTime.offset(at: instant) == 3_600)
            }
            instant += 900
        }
    }

    @Test func uniformOffsetIsMissingExactlyOnTheTwoChangeDaysAndAgreesWithInstantElsewhere() {
        var changeDays: [CivilDate] = []
        for dayNumber in CivilDate(year: 1996, month: 1, day: 1)!
            .dayNumber...CivilDate(year: 2040, month: 12, day: 31)!.dayNumber
        {
            let date = CivilDate(dayNumber: dayNumber)
            guard let offset = RomeTime.uniformOffset(on: date) else {
                changeDays.append(date)
                continue
            }
            for minutes in stride(from: 0, to: 1_440, by: 45) {
                #expect(
                    RomeTime.instant(date: date, minutes: minutes) == Int64(dayNumber) * 86_400 + Int64(minutes) * 60
                        - offset)
            }
        }
        #expect(changeDays.count == 2 * 45)
        #expect(changeDays.allSatisfy { $0.weekday == .sunday && ($0.month == 3 || $0.month == 10) && $0.day > 24 })
    }
}
