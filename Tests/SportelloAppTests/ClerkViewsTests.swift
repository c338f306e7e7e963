import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloApp

/// The office's grid (every state, week and day), contacts in the agenda and its CSV, the statistics page and
/// its chart, and a signed-in citizen's own week, through the router in process.
@Suite(.serialized) struct ClerkViewsTests {
    // Wednesday 25 November 2026, 08:00. Residenza: one desk, 30-minute slots from 08:30, two hours' notice.
    let now = rome("2026-11-25", "08:00")
    let anna = "BNCLRA70A41H501B"

    /// Holds and confirms a slot as an API client; returns the booking code.
    func book(
        _ client: RouterClient, _ service: String, _ slot: Int64, codiceFiscale: String = "RSSMRA85T10A562S"
    )
        throws -> String
    {
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": service, "slot": String(slot)], json: true)
        #expect(hold.status == 201, "\(hold.text)")
        var form = person
        form["codice_fiscale"] = codiceFiscale
        let token = try #require(extract("[0-9a-f]{32}", from: hold.text))
        form["hold"] = token
        let booked = client.respond("POST", client.path(.bookings), form: form, json: true)
        #expect(booked.status == 201, "\(booked.text)")
        return try #require(extract("\"code\":\"[2-9A-HJ-NP-Z]{8}\"", from: booked.text)).dropFirst(8).dropLast()
            .description
    }

    func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    /// Every state on one week of Residenza: done, absent, cancelled (Thursday morning, now past), booked
    /// (Friday), held (Thursday noon), free, closed (Sunday, Friday's unavailability, Wednesday's past slots).
    struct Week {
        let done: String, absent: String, cancelled: String, booked: String
    }

    func everyState(_ client: RouterClient, token: String) throws -> Week {
        // Four people (the per-person limit allows one active booking per service).
        let done = try book(client, "residenza", rome("2026-11-26", "08:30"))
        let absent = try book(client, "residenza", rome("2026-11-26", "09:00"), codiceFiscale: "VRDGPP80A01H501U")
        let cancelled = try book(client, "residenza", rome("2026-11-26", "09:30"), codiceFiscale: "BLUMRC75B12F205W")
        let booked = try book(client, "residenza", rome("2026-11-27", "08:30"), codiceFiscale: "GLLLCU90C03L219H")
        let cancel = client.respond(
            "POST", client.path(.operatorCancel), form: ["code": cancelled, "reason": "Ufficio chiuso"], json: true,
            headers: bearer(token))
        #expect(cancel.status == 200)
        let block = client.respond(
            "POST", client.path(.operatorBlocks),
            form: ["service": "residenza", "date": "2026-11-27", "from": "09:00", "to": "10:00"], json: true,
            headers: bearer(token))
        #expect(block.status == 200)
        client.clock.advance(rome("2026-11-26", "09:45") - now)
        for (code, outcome) in [(done, "done"), (absent, "absent")] {
            let recorded = client.respond(
                "POST", client.path(.operatorOutcome), form: ["code": code, "outcome": outcome], json: true,
                headers: bearer(token))
            #expect(recorded.status == 200)
        }
        let hold = client.respond(
            "POST", client.path(.holds), form: ["service": "residenza", "slot": String(rome("2026-11-26", "12:00"))],
            json: true)
        #expect(hold.status == 201)
        return Week(done: done, absent: absent, cancelled: cancelled, booked: booked)
    }

    @Test func theWeekGridShowsTheSevenStatesWithNamesAndContactsToItsScopeOnly() throws {
        let client = try RouterClient(now: now)
        let operators = client.application.operators
        let (anagrafe, token) = try operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try operators.create(name: "bruno", scope: ["tributi"], now: now)
        let week = try everyState(client, token: token)
        let session = try operators.startSession(for: anagrafe, now: client.clock.read())

        // A GET with the session cookie, as a link or Back sends it.
        let grid = client.respond(
            "GET", client.path(.operatorGrid) + "?service=residenza&date=2026-11-26&view=week",
            headers: ["Cookie": "sportello_operator=\(session)"])
        #expect(grid.status == 200)
        #expect(grid.header("Cache-Control") == "no-store")
        let page = grid.text
        for state in OperatorSlotState.allCases {
            #expect(page.contains("class=\"op-mark op-\(state.rawValue)\""), "\(state.rawValue)")
        }
        func cellHolding(_ code: String) -> String? {
            extract("<div class=\"op-mark op-[a-z]+\">(?:(?!</td>).)*\(code)", from: page)
        }
        #expect(cellHolding(week.done)?.contains("op-done") == true)
        #expect(cellHolding(week.absent)?.contains("op-absent") == true)
        #expect(cellHolding(week.cancelled)?.contains("op-cancelled") == true)
        #expect(cellHolding(week.booked)?.contains("op-booked") == true)
        #expect(page.contains("Maria Chiara D&#39;Alessandro"))
        #expect(page.contains("+393331234567") && page.contains("maria@example.it"))
        #expect(
            page.contains("In prenotazione") && page.contains("Non disponibile") && page.contains("Passato, libero"))
        // Seven columns, the week's days, a date picker, both views and the neighbouring weeks by GET.
        #expect(page.contains("type=\"date\" value=\"2026-11-26\""))
        #expect(page.contains("date=2026-11-19&amp;view=week") && page.contains("date=2026-12-03&amp;view=week"))
        #expect(page.contains("view=day"))

        // The day view: Thursday only.
        let day = client.respond(
            "GET", client.path(.operatorGrid) + "?service=residenza&date=2026-11-26&view=day", headers: bearer(token))
        #expect(day.status == 200)
        #expect(day.text.contains(week.done) && !day.text.contains(week.booked))
        #expect(day.text.contains("date=2026-11-25&amp;view=day") && day.text.contains("date=2026-11-27&amp;view=day"))

        // Another office's operator is refused this service, and sees no one on their own grid.
        let refused = client.respond(
            "GET", client.path(.operatorGrid) + "?service=residenza&date=2026-11-26", headers: bearer(tributi))
        #expect(refused.status == 403 && !refused.text.contains("D&#39;Alessandro"))
        let own = client.respond("GET", client.path(.operatorGrid) + "?date=2026-11-26", headers: bearer(tributi))
        #expect(own.status == 200 && !own.text.contains("D&#39;Alessandro") && !own.text.contains("+393331234567"))
        // A booking at a time the schedule no longer has (here: made at 07:40, before opening) still shows.
        try client.application.store.database.write { connection in
            try connection.execute(
                "UPDATE bookings SET slot_start = ?, slot_end = ? WHERE code = ?", .int(rome("2026-11-27", "07:40")),
                .int(rome("2026-11-27", "08:10")), .text(week.booked))
        }
        let moved = client.respond(
            "GET", client.path(.operatorGrid) + "?service=residenza&date=2026-11-27&view=day", headers: bearer(token))
        #expect(moved.text.contains("<th scope=\"row\">07:40</th>") && moved.text.contains(week.booked))

        // Any date, view or service a query names answers without a crash: a page, or a clear refusal.
        for query in [
            "date=999999-12-31", "date=-999999-01-01&view=day", "date=2026-02-30", "date=x&view=month",
            "service=nessuno", "service=%00&date=%FF",
        ] {
            let reply = client.respond("GET", client.path(.operatorGrid) + "?" + query, headers: bearer(token))
            #expect([200, 404].contains(reply.status), "\(query): \(reply.status)")
        }
        for query in ["weeks=-5", "weeks=99999999999999999999", "until=999999-12-31", "until=-999999-01-01"] {
            let reply = client.respond("GET", client.path(.operatorStatistics) + "?" + query, headers: bearer(token))
            #expect(reply.status == 200, "\(query): \(reply.status)")
        }
        // The token is never read from a query (it would land in logs and history); no session, no grid.
        #expect(client.respond("GET", client.path(.operatorGrid) + "?token=\(token)").status == 401)
    }

    @Test func theAgendaAndItsCSVCarryContactsForTheOperatorsScope() throws {
        let client = try RouterClient(now: now)
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, tributi) = try client.application.operators.create(name: "bruno", scope: ["tributi"], now: now)
        let code = try book(client, "residenza", rome("2026-11-26", "08:30"))

        let csv = client.respond(
            "POST", client.path(.operatorAgenda), form: ["date": "2026-11-26", "format": "csv"], headers: bearer(token))
        #expect(csv.status == 200)
        let lines = csv.text.split(separator: "\r\n").map(String.init)
        #expect(
            lines.first?.hasSuffix(
                "\"stato\";\"motivo_annullamento\";\"telefono\";\"email\";\"campi_aggiuntivi\";\"sportello\"")
                == true)
        #expect(
            lines.contains {
                $0.contains(code)
                    && $0.hasSuffix("\"Prenotato\";\"\";\"'+393331234567\";\"maria@example.it\";\"\";\"\"")
            })
        let html = client.respond(
            "POST", client.path(.operatorAgenda), form: ["date": "2026-11-26"], headers: bearer(token))
        #expect(html.text.contains("<th scope=\"col\">Contatti</th>"))
        #expect(html.text.contains("<td>+393331234567<br>maria@example.it</td>"))
        let json = client.respond(
            "POST", client.path(.operatorAgenda), form: ["date": "2026-11-26"], json: true, headers: bearer(token))
        #expect(
            json.text.contains("\"phone\":\"+393331234567\"") && json.text.contains("\"email\":\"maria@example.it\""))

        // Outside the scope: none of it, in any format.
        for format in ["csv", "html"] {
            let other = client.respond(
                "POST", client.path(.operatorAgenda), form: ["date": "2026-11-26", "format": format],
                headers: bearer(tributi))
            #expect(other.status == 200 && !other.text.contains("+393331234567") && !other.text.contains(code))
        }
    }

    @Test func theStatisticsPageChartsBookingsNoShowsAndCancellationsPerWeek() throws {
        let client = try RouterClient(now: now)
        let (_, token) = try client.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        _ = try everyState(client, token: token)
        let reply = client.respond(
            "GET", client.path(.operatorStatistics) + "?weeks=4&lang=it", headers: bearer(token))
        #expect(reply.status == 200)
        #expect(reply.header("Cache-Control") == "no-store")
        let page = reply.text
        // One chart (only Residenza has bookings), its accessible name, and the table beside it.
        #expect(page.contains("<svg class=\"stats-chart\" role=\"img\" aria-labelledby=\"chart-1-title\""))
        #expect(
            page.contains(
                "<title id=\"chart-1-title\">Cambio di residenza e di indirizzo: prenotazioni, assenze e annullamenti"))
        #expect(!page.contains("chart-2"))
        // Week 48 (the fourth): 4 bookings, 1 no-show, 1 cancellation; the weeks before are empty.
        #expect(
            page.contains(
                "<tr><th scope=\"row\">Settimana dal lunedì 23 novembre 2026</th><td>4</td><td>1</td><td>1</td></tr>"))
        #expect(
            page.contains(
                "<tr><th scope=\"row\">Settimana dal lunedì 2 novembre 2026</th><td>0</td><td>0</td><td>0</td></tr>"))
        // The bars of week 48 on a scale of 4: full height, a quarter, a quarter.
        let chart = StatisticsChart(weeks: [
            .init(label: "2/11", bookings: 0, absent: 0, cancelled: 0),
            .init(label: "9/11", bookings: 0, absent: 0, cancelled: 0),
            .init(label: "16/11", bookings: 0, absent: 0, cancelled: 0),
            .init(label: "23/11", bookings: 4, absent: 1, cancelled: 1),
        ])
        let last = chart.bars.suffix(3)
        #expect(
            last.map(\.height) == [
                StatisticsChart.plotHeight, StatisticsChart.plotHeight / 4, StatisticsChart.plotHeight / 4,
            ])
        for bar in last {
            #expect(
                page.contains(
                    "<rect class=\"stats-bar stats-bar--\(bar.series)\" x=\"\(bar.x)\" y=\"\(bar.y)\" width=\"\(bar.width)\" height=\"\(bar.height)\"/>"
                ))
        }
        #expect(page.contains(">23/11</text>"))
        // Bounded: at most 26 weeks, whatever is asked.
        let many = client.respond("GET", client.path(.operatorStatistics) + "?weeks=100000", headers: bearer(token))
        #expect(many.status == 200 && many.text.contains("value=\"26\""))
    }

    @Test func aChartScalesToItsLargestCountAndDrawsEmptyWeeksFlat() {
        let chart = StatisticsChart(weeks: [
            .init(label: "a", bookings: 0, absent: 0, cancelled: 0),
            .init(label: "b", bookings: 10, absent: 5, cancelled: 2),
        ])
        #expect(chart.maxValue == 10)
        #expect(chart.bars.count == 6)
        #expect(chart.bars.prefix(3).allSatisfy { $0.height == 0 && $0.y == chart.baseline })
        #expect(chart.bars[3].height == StatisticsChart.plotHeight && chart.bars[3].y == StatisticsChart.top)
        #expect(chart.bars[4].height == StatisticsChart.plotHeight / 2)
        #expect(chart.bars.map(\.series) == ["bookings", "absent", "cancelled", "bookings", "absent", "cancelled"])
        #expect(StatisticsChart(weeks: []).maxValue == 1)
    }

    @Test func aSignedInCitizenSeesTheirOwnSlotsOnTheWeekAndCancelsThere() throws {
        let client = try RouterClient(now: now) { $0.identity = IdentityHeaders.testProxy }
        let spid = [
            "X-Identity-Fiscal-Number": "TINIT-\(anna)", "X-Identity-Given-Name": "Anna",
            "X-Identity-Family-Name": "Bianchi", "X-Identity-Email": "anna@example.it",
            "X-Sportello-Proxy-Secret": IdentityHeaders.testProxy.proxySecret,
        ]
        let mine = try book(client, "residenza", rome("2026-11-26", "08:30"), codiceFiscale: anna)
        let someoneElse = try book(client, "residenza", rome("2026-11-26", "09:00"))

        #expect(client.respond("GET", client.path(.myBookingsWeek)).status == 401)
        let week = client.respond("GET", client.path(.myBookingsWeek) + "?lang=it", headers: spid)
        #expect(week.status == 200)
        #expect(week.header("Cache-Control") == "no-store")
        let page = week.text
        #expect(
            page.contains(
                "<td class=\"mine\"><strong>La tua prenotazione</strong> <span class=\"own-code\">\(mine)</span>"))
        #expect(
            page.contains("action=\"\(client.path(.cancelMine))\"") && page.contains("name=\"code\" value=\"\(mine)\""))
        // Someone else's slot is only "Occupato", as on the public page: no name, no code, no outcome.
        #expect(!page.contains(someoneElse) && !page.contains("D&#39;Alessandro") && page.contains(">Occupato</td>"))
        #expect(!page.contains("Eseguito") && !page.contains("assente"))
        // The list links to the week.
        let list = client.respond("GET", client.path(.myBookings), headers: spid)
        #expect(list.text.contains("href=\"\(client.path(.myBookingsWeek))?lang=it\""))

        // "Annulla" first shows what will be cancelled; only the confirmation cancels.
        let asked = client.respond("POST", client.path(.cancelMine), form: ["code": mine], headers: spid)
        #expect(asked.status == 200 && asked.text.contains("name=\"confirm\""))
        #expect(
            client.respond("GET", client.path(.myBookingsWeek), headers: spid).text.contains("La tua prenotazione"))
        let cancelled = client.respond(
            "POST", client.path(.cancelMine), form: ["code": mine, "confirm": "1"], headers: spid)
        #expect(cancelled.status == 200)
        let after = client.respond("GET", client.path(.myBookingsWeek), headers: spid)
        #expect(
            after.text.contains("Non hai prenotazioni in programma.") && !after.text.contains("La tua prenotazione"))
    }
}
