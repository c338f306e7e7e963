/// Italian national public holidays (Legge 260/1949 and later changes), as the law stands now.
///
/// Historical changes before today's list are not modelled (for example Epifania was not a holiday in
/// 1978–1985): the calendar is meant for current and future bookings. The comune's patron saint's day is
/// not national; it belongs to the site configuration.
public enum ItalianHolidays {
    /// i18n key: New Year's Day, 1 January.
    public static let capodanno = "holiday.capodanno"
    /// i18n key: Epiphany, 6 January.
    public static let epifania = "holiday.epifania"
    /// i18n key: Easter Sunday (computed per year).
    public static let pasqua = "holiday.pasqua"
    /// i18n key: Easter Monday.
    public static let lunediDellAngelo = "holiday.lunedi_angelo"
    /// i18n key: Liberation Day, 25 April.
    public static let liberazione = "holiday.liberazione"
    /// i18n key: Labour Day, 1 May.
    public static let festaDelLavoro = "holiday.festa_lavoro"
    /// i18n key: Republic Day, 2 June.
    public static let festaDellaRepubblica = "holiday.festa_repubblica"
    /// i18n key: Saint Francis, 4 October (a national holiday again from 2026).
    public static let sanFrancesco = "holiday.san_francesco"
    /// i18n key: Assumption, 15 August.
    public static let ferragosto = "holiday.ferragosto"
    /// i18n key: All Saints, 1 November.
    public static let ognissanti = "holiday.ognissanti"
    /// i18n key: Immaculate Conception, 8 December.
    public static let immacolata = "holiday.immacolata"
    /// i18n key: Christmas Day, 25 December.
    public static let natale = "holiday.natale"
    /// i18n key: Saint Stephen, 26 December.
    public static let santoStefano = "holiday.santo_stefano"

    /// Every key `nationalHolidays` can return, for checking that the i18n files translate them all.
    public static let allKeys: [String] = [
        capodanno, epifania, pasqua, lunediDellAngelo, liberazione, festaDelLavoro, festaDellaRepubblica,
        ferragosto, sanFrancesco, ognissanti, immacolata, natale, santoStefano,
    ]

    /// The first year in which 4 October (San Francesco d'Assisi, patron saint of Italy) is a national
    /// holiday again: the 2025 law restoring it (it had been abolished in 1977) applies from 2026.
    public static let sanFrancescoFirstYear = 2026

    /// Easter Sunday in the Gregorian calendar, by the anonymous algorithm (Meeus/Jones/Butcher).
    /// Always 22 March … 25 April. Floored division keeps it correct (and crash-free) for any `Int` year,
    /// proleptically before 1583.
    public static func easterSunday(year: Int) -> CivilDate {
        let a = mod(year, 19)
        let b = div(year, 100)
        let c = mod(year, 100)
        let d = div(b, 4)
        let e = mod(b, 4)
        let f = div(b + 8, 25)
        let g = div(b - f + 1, 3)
        let h = mod(19 * a + b - d - g + 15, 30)
        let i = div(c, 4)
        let k = mod(c, 4)
        let l = mod(32 + 2 * e + 2 * i - h - k, 7)
        let m = div(a + 11 * h + 22 * l, 451)
        let month = div(h + l - 7 * m + 114, 31)
        let day = mod(h + l - 7 * m + 114, 31) + 1
        // month is 3 or 4 and day 22…31 / 1…25 by construction; the fallback is never taken.
        return CivilDate(year: year, month: month, day: day) ?? fixed(year, 4, 1)
    }

    /// The national holidays of `year`, sorted by date. When two fall on the same day (Easter Sunday or
    /// Monday on 25 April, as in 2011 and 2038) both are listed, the Easter one first.
    public static func nationalHolidays(year: Int) -> [Holiday] {
        let easter = easterSunday(year: year)
        // Computed without dayNumber arithmetic: Easter is never later than 25 April.
        let easterMonday =
            easter.month == 3 && easter.day == 31
            ? fixed(year, 4, 1)
            : fixed(year, easter.month, easter.day + 1)

        var list: [Holiday] = [
            Holiday(date: easter, key: pasqua),
            Holiday(date: easterMonday, key: lunediDellAngelo),
            Holiday(date: fixed(year, 1, 1), key: capodanno),
            Holiday(date: fixed(year, 1, 6), key: epifania),
            Holiday(date: fixed(year, 4, 25), key: liberazione),
            Holiday(date: fixed(year, 5, 1), key: festaDelLavoro),
            Holiday(date: fixed(year, 6, 2), key: festaDellaRepubblica),
            Holiday(date: fixed(year, 8, 15), key: ferragosto),
            Holiday(date: fixed(year, 11, 1), key: ognissanti),
            Holiday(date: fixed(year, 12, 8), key: immacolata),
            Holiday(date: fixed(year, 12, 25), key: natale),
            Holiday(date: fixed(year, 12, 26), key: santoStefano),
        ]
        // Restored as a national holiday by a 2025 law, effective from 2026; before that 4 October was a
        // working day (a "solennità civile" only), so earlier years must not show it as closed.
        if year >= sanFrancescoFirstYear {
            list.append(Holiday(date: fixed(year, 10, 4), key: sanFrancesco))
        }
        // Stable sort by (month, day): the Easter entries come first in `list`, so they win ties.
        return list.enumerated().sorted { lhs, rhs in
            let l = (lhs.element.date.month, lhs.element.date.day, lhs.offset)
            let r = (rhs.element.date.month, rhs.element.date.day, rhs.offset)
            return l < r
        }.map(\.element)
    }

    /// Every national holiday falling on `date` (usually zero or one; two when Easter meets 25 April).
    public static func holidays(on date: CivilDate) -> [Holiday] {
        let year =
            tabulatedYears.contains(date.year)
            ? tabulated[date.year - tabulatedYears.lowerBound] : nationalHolidays(year: date.year)
        return year.filter { $0.date == date }
    }

    /// Every slot of every published page asks whether its day is a holiday: the years in use are computed once.
    static let tabulatedYears = 1996...2100
    static let tabulated: [[Holiday]] = tabulatedYears.map(nationalHolidays(year:))

    /// The national holiday on `date`, if any. When two coincide, the Easter one (see `nationalHolidays`).
    public static func holiday(on date: CivilDate) -> Holiday? {
        holidays(on: date).first
    }

    /// Whether `date` is a national holiday.
    public static func isHoliday(_ date: CivilDate) -> Bool { holiday(on: date) != nil }

    // MARK: - Helpers

    /// A date known to be valid (fixed holidays, Easter Monday). The fallback only keeps this total.
    private static func fixed(_ year: Int, _ month: Int, _ day: Int) -> CivilDate {
        CivilDate(year: year, month: month, day: day) ?? CivilDate(dayNumber: 0)
    }

    /// Floored division and modulo (Swift's `/` and `%` truncate toward zero), with no overflow for any
    /// `Int` numerator and a positive divisor.
    private static func div(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    private static func mod(_ a: Int, _ b: Int) -> Int {
        let r = a % b
        return r < 0 ? r + b : r
    }
}
