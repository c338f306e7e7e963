import SportelloTesting
import Testing

@testable import SportelloCore

/// Western (Gregorian) Easter Sunday 2000–2035, as published in the usual tables (e.g. the Astronomical
/// Society of South Australia list; also cross-checked against python-dateutil's `easter`).
private let easter2000to2035 = [
    "2000-04-23", "2001-04-15", "2002-03-31", "2003-04-20", "2004-04-11", "2005-03-27", "2006-04-16",
    "2007-04-08", "2008-03-23", "2009-04-12", "2010-04-04", "2011-04-24", "2012-04-08", "2013-03-31",
    "2014-04-20", "2015-04-05", "2016-03-27", "2017-04-16", "2018-04-01", "2019-04-21", "2020-04-12",
    "2021-04-04", "2022-04-17", "2023-04-09", "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28",
    "2028-04-16", "2029-04-01", "2030-04-21", "2031-04-13", "2032-03-28", "2033-04-17", "2034-04-09",
    "2035-03-25",
]

@Suite("Italian holidays")
struct ItalianHolidaysTests {
    @Test func easterTable() {
        for (offset, iso) in easter2000to2035.enumerated() {
            #expect(ItalianHolidays.easterSunday(year: 2000 + offset) == date(iso))
        }
    }

    @Test(arguments: [
        (1583, "1583-04-10"), (1818, "1818-03-22"), (1943, "1943-04-25"), (1954, "1954-04-18"),
        (1961, "1961-04-02"), (1981, "1981-04-19"), (2024, "2024-03-31"), (2025, "2025-04-20"),
        (2026, "2026-04-05"), (2027, "2027-03-28"), (2038, "2038-04-25"), (2285, "2285-03-22"),
    ])
    func easterKnownYears(year: Int, iso: String) {
        #expect(ItalianHolidays.easterSunday(year: year) == date(iso))
    }

    @Test func easterIsASundayBetween22MarchAnd25April() {
        for year in 1583...3000 {
            let easter = ItalianHolidays.easterSunday(year: year)
            #expect(easter.year == year)
            #expect(easter.weekday == .sunday, "\(year)")
            let monthDay = easter.month * 100 + easter.day
            #expect((322...425).contains(monthDay), "\(year)")
        }
    }

    @Test func extremeYearsDoNotCrash() {
        for year in [0, -1, -4713, 10_000, Int.max, Int.min, Int.max - 1, Int.min + 1] {
            let easter = ItalianHolidays.easterSunday(year: year)
            #expect(easter.year == year)
            #expect((322...425).contains(easter.month * 100 + easter.day))
            #expect(ItalianHolidays.nationalHolidays(year: year).count >= 12)
        }
    }

    @Test func holidays2025() {
        let expected: [(String, String)] = [
            ("2025-01-01", "holiday.capodanno"), ("2025-01-06", "holiday.epifania"),
            ("2025-04-20", "holiday.pasqua"), ("2025-04-21", "holiday.lunedi_angelo"),
            ("2025-04-25", "holiday.liberazione"), ("2025-05-01", "holiday.festa_lavoro"),
            ("2025-06-02", "holiday.festa_repubblica"), ("2025-08-15", "holiday.ferragosto"),
            ("2025-11-01", "holiday.ognissanti"), ("2025-12-08", "holiday.immacolata"),
            ("2025-12-25", "holiday.natale"), ("2025-12-26", "holiday.santo_stefano"),
        ]
        let list = ItalianHolidays.nationalHolidays(year: 2025)
        #expect(list == expected.map { Holiday(date: date($0.0), key: $0.1) })
        for (iso, key) in expected {
            #expect(ItalianHolidays.holiday(on: date(iso))?.key == key, "\(iso)")
            #expect(ItalianHolidays.isHoliday(date(iso)))
        }
        #expect(ItalianHolidays.holiday(on: date("2025-10-04")) == nil)  // San Francesco: not yet
    }

    @Test func holidays2026IncludeSanFrancesco() {
        let expected: [(String, String)] = [
            ("2026-01-01", "holiday.capodanno"), ("2026-01-06", "holiday.epifania"),
            ("2026-04-05", "holiday.pasqua"), ("2026-04-06", "holiday.lunedi_angelo"),
            ("2026-04-25", "holiday.liberazione"), ("2026-05-01", "holiday.festa_lavoro"),
            ("2026-06-02", "holiday.festa_repubblica"), ("2026-08-15", "holiday.ferragosto"),
            ("2026-10-04", "holiday.san_francesco"),
            ("2026-11-01", "holiday.ognissanti"), ("2026-12-08", "holiday.immacolata"),
            ("2026-12-25", "holiday.natale"), ("2026-12-26", "holiday.santo_stefano"),
        ]
        let list = ItalianHolidays.nationalHolidays(year: 2026)
        #expect(list == expected.map { Holiday(date: date($0.0), key: $0.1) })
        for (iso, key) in expected {
            #expect(ItalianHolidays.holiday(on: date(iso))?.key == key, "\(iso)")
        }
        #expect(ItalianHolidays.holiday(on: date("2027-10-04"))?.key == "holiday.san_francesco")
        #expect(ItalianHolidays.holiday(on: date("1999-10-04")) == nil)
    }

    @Test func nonHolidays() {
        for iso in [
            "2026-03-10", "2026-01-02", "2026-04-07", "2026-04-04", "2026-12-24", "2026-12-27",
            "2025-10-04", "2026-10-05", "2026-08-14", "2024-03-30",
        ] {
            #expect(ItalianHolidays.holiday(on: date(iso)) == nil, "\(iso)")
            #expect(ItalianHolidays.holidays(on: date(iso)).isEmpty)
        }
    }

    @Test func easterMondayAcrossTheMonthBoundary() {
        #expect(ItalianHolidays.holiday(on: date("2024-04-01"))?.key == ItalianHolidays.lunediDellAngelo)
        #expect(ItalianHolidays.holiday(on: date("2024-03-31"))?.key == ItalianHolidays.pasqua)
        #expect(ItalianHolidays.holiday(on: date("2013-04-01"))?.key == ItalianHolidays.lunediDellAngelo)
        for year in 1900...2200 {
            let monday = ItalianHolidays.nationalHolidays(year: year).first {
                $0.key == ItalianHolidays.lunediDellAngelo
            }
            #expect(monday?.date == ItalianHolidays.easterSunday(year: year).adding(days: 1))
            #expect(monday?.date.weekday == .monday)
        }
    }

    @Test func coincidingHolidays() {
        // 2011: Easter Monday on Liberation Day; 2038: Easter Sunday on Liberation Day.
        #expect(
            ItalianHolidays.holidays(on: date("2011-04-25")).map(\.key) == [
                "holiday.lunedi_angelo", "holiday.liberazione",
            ])
        #expect(ItalianHolidays.holiday(on: date("2011-04-25"))?.key == "holiday.lunedi_angelo")
        #expect(
            ItalianHolidays.holidays(on: date("2038-04-25")).map(\.key) == ["holiday.pasqua", "holiday.liberazione"])
        #expect(ItalianHolidays.holiday(on: date("2038-04-25"))?.key == "holiday.pasqua")
    }

    @Test func listsAreSortedAndKeysKnown() {
        for year in 1950...2100 {
            let list = ItalianHolidays.nationalHolidays(year: year)
            #expect(list.count == (year >= 2026 ? 13 : 12))
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.date <= $1.date })
            #expect(list.allSatisfy { $0.date.year == year && ItalianHolidays.allKeys.contains($0.key) })
        }
        #expect(Set(ItalianHolidays.allKeys).count == 13)
    }
}
