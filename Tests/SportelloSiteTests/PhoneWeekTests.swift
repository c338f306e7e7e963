import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// One day's section of a week page, as the markup has it.
struct DaySection {
    /// The day's ISO date, from its id ("d-2026-11-23").
    let date: String
    /// Whether the page shows this day first on a phone.
    let initial: Bool
    /// The section's markup.
    let body: String

    /// The start times the day lists, in order.
    var times: [String] {
        body.components(separatedBy: "<b>").dropFirst().map { String($0.prefix(5)) }
    }

    /// Every section of a week page, in order.
    static func all(in page: String) -> [DaySection] {
        page.components(separatedBy: "<section class=\"day").dropFirst().map { part in
            let body = part.components(separatedBy: "</section>")[0]
            let date = body.components(separatedBy: "id=\"d-").dropFirst().first.map { String($0.prefix(10)) } ?? ""
            return DaySection(date: date, initial: body.hasPrefix(" day--initial\""), body: body)
        }
    }
}

/// Issue 17 point 6: a week grid a person can read on a phone, the manual's colours.
@Suite struct PhoneWeekTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    /// Carta d'identità's week of 23 November 2026, published into a new folder the caller removes.
    func publishedWeek(occupancy: FixtureOccupancy = FixtureOccupancy()) throws -> (week: String, output: String) {
        let output = temporaryFolder()
        try demoPublisher(output: output).publishAll(now: now, source: occupancy)
        return (read("\(output)/servizi/carta-identita/2026-W48.html"), output)
    }

    /// The office opens at 08:30 on weekdays and at 09:00 on Saturday: each day lists the starts it has, so no
    /// weekday says "Chiuso" at 09:00 (the old grid's rows were the union of the week's times).
    @Test func eachDayListsOnlyTheStartsItHas() throws {
        let (week, output) = try publishedWeek()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let days = DaySection.all(in: week)
        #expect(days.map(\.date) == (23...29).map { "2026-11-\($0)" })
        #expect(days[0].times.first == "08:30" && !days[0].times.contains("09:00"))
        #expect(days[3].times.contains("14:30") && !days[0].times.contains("14:30"))  // Thursday afternoon only
        #expect(days[5].times.first == "09:00" && !days[5].times.contains("08:30"))
        for day in days { #expect(!day.body.contains("<li class=\"closed\">"), "\(day.date)") }
        // Sunday has no hours: the day says it is closed, once.
        #expect(days[6].times.isEmpty && days[6].body.contains("<p class=\"day-closed\">Chiuso</p>"))
        #expect(!week.contains("<table") && !week.contains("<td"))
    }

    /// Day tabs are plain links to each day's section (they work without JavaScript, by `:target`); before any
    /// is chosen the phone shows the first day with a free place, where the service page's link leads too.
    @Test func dayTabsLinkEveryDayAndTheFirstFreeDayShowsFirst() throws {
        let (week, output) = try publishedWeek()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let days = DaySection.all(in: week)
        let tabs = try #require(week.components(separatedBy: "<nav class=\"day-tabs\"").dropFirst().first)
            .components(separatedBy: "</nav>")[0]
        #expect(tabs.hasPrefix(" aria-label=\"Giorni della settimana\""))
        #expect(
            tabs.components(separatedBy: "<a href=\"#d-").dropFirst().map { String($0.prefix(10)) } == days.map(\.date))
        #expect(tabs.contains(">lun 23/11</a>"))
        #expect(days.filter(\.initial).count == 1)
        let firstFree = try #require(days.first { $0.body.contains("name=\"slot\"") })
        #expect(firstFree.initial)
        #expect(!days[0].initial)  // Monday is past
        let service = read("\(output)/servizi/carta-identita/index.html")
        #expect(service.contains("2026-W48.html#d-\(firstFree.date)\""))
        // The first free radio (the one that is required for the group) is in the day shown first.
        #expect(firstFree.body.contains(" required>"))
        let english = read("\(output)/en/servizi/carta-identita/2026-W48.html")
        #expect(english.contains("<nav class=\"day-tabs\" aria-label=\"Days of the week\">"))
    }

    /// Nothing in the markup or the style sheet needs more than a phone's width: no table with a minimum width,
    /// the days side by side only from 48rem, one day at a time below it, days not shown still reachable.
    @Test func nothingNeedsMoreThanAPhonesWidth() throws {
        let (week, output) = try publishedWeek()
        defer { try? FileManager.default.removeItem(atPath: output) }
        #expect(!week.contains("table-scroll") && !week.contains("style="))
        let css = read(repositoryRoot.appendingPathComponent("site-templates/assets/sportello.css").path)
        #expect(!css.contains("table.slots") && !css.contains("min-width: 44rem"))
        // Any fixed minimum width in the style sheet fits a 390 px phone (24rem = 384 px).
        let widths = css.components(separatedBy: "min-width: ").dropFirst().compactMap { rest -> Double? in
            let number = rest.prefix { $0.isNumber || $0 == "." }
            return rest.dropFirst(number.count).hasPrefix("rem") ? Double(number) : nil
        }
        let outsideQueries = widths.filter { $0 != 48 }
        #expect(outsideQueries.allSatisfy { $0 <= 24 }, "\(outsideQueries)")
        #expect(css.contains("@media (min-width: 48rem) {\n  .day-tabs { display: none; }"))
        #expect(css.contains("@media (max-width: 47.99rem)"))
        // Days not shown are clipped, not removed: the group's required radio stays reachable from any tab.
        let phone = try #require(css.components(separatedBy: "@media (max-width: 47.99rem) {").dropFirst().first)
            .components(separatedBy: "\n}\n")[0]
        #expect(!phone.contains("display: none"))
        #expect(phone.contains(".day:not(:target, :has(:target)) { position: absolute;"))
    }

    /// The manual's colours: green free, red past, red with a no-entry sign for held and booked (held striped),
    /// yellow only for the citizen's own choice; every state keeps its text, and the legend names the choice.
    @Test func statesKeepTheirTextAndTheManualsColours() throws {
        let occupancy = FixtureOccupancy()
        occupancy.set("carta-identita", rome("2026-11-26", "09:10"), SlotOccupancy(booked: 2))
        occupancy.set("carta-identita", rome("2026-11-26", "09:30"), SlotOccupancy(booked: 1, held: 1))
        let (week, output) = try publishedWeek(occupancy: occupancy)
        defer { try? FileManager.default.removeItem(atPath: output) }
        #expect(week.contains("<li class=\"booked\"><b>09:10</b> Occupato</li>"))
        #expect(week.contains("<li class=\"held\"><b>09:30</b> In prenotazione</li>"))
        #expect(week.contains("<li class=\"past\"><b>08:30</b> Non più prenotabile</li>"))
        #expect(week.contains("<span class=\"swatch selected\"></span> <strong>La tua scelta</strong>"))
        let css = read(repositoryRoot.appendingPathComponent("site-templates/assets/sportello.css").path)
        func rule(_ selector: String) -> String {
            css.components(separatedBy: "\n").first { $0.hasPrefix(selector) } ?? ""
        }
        #expect(rule(".slots .held::before, .swatch.held::before, .slots .booked::before").contains("var(--stop)"))
        #expect(rule(".slots .held, .swatch.held {").contains("var(--booked-bg)"))
        #expect(rule(".slots .past, .swatch.past {").contains("var(--past-bg)"))
        #expect(css.contains("--past-bg: #fdeaea") && css.contains("--booked-bg: #f8d4d4"))
        // Yellow is the citizen's own only (the choice on the week page, their own booking on their personal
        // week): no state's background uses it.
        let yellow = css.components(separatedBy: "\n").filter { $0.contains("var(--selected)") }
        #expect(yellow.count == 3)
        #expect(
            yellow.allSatisfy {
                $0.contains("input:checked") || $0.hasPrefix(".swatch.selected") || $0.hasPrefix(".slots .mine")
            })
    }
}
