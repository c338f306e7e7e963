import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The office's statistics page: for each service of the operator's scope with bookings in the last weeks, a bar
/// chart (inline SVG, no script) of bookings, no-shows and cancellations per week and the same numbers as a
/// table, the chart's accessible equivalent. The counts are the statistics CSV's (`BookingStore.statistics`).
extension OperatorController {
    /// The most weeks the page counts: one grouped query per week keeps a request bounded.
    static let statisticsWeeksLimit = 26

    /// `?weeks=` (default 8, at most `statisticsWeeksLimit`) up to the week of `until` (default today: booked
    /// weeks ahead are a date away); `service` or `entry` narrows it.
    func statisticsPage(
        desk: OperatorDesk, fields: FormFields, now: Int64, signedInAs: String, context: RequestContext
    ) throws(OperatorDesk.Failure) -> HTTPResponse {
        let weekCount = min(max(fields["weeks"].flatMap { Int($0) } ?? 8, 1), Self.statisticsWeeksLimit)
        let requested = [fields["service"], fields["entry"]].compactMap { $0 }.first { !$0.isEmpty }
        let services = try desk.serviceIDs(entryID: requested)
        let today = RomeTime.local(now).date
        let thisMonday = (fields["until"].flatMap { CivilDate(iso: $0) } ?? today).mondayOfWeek
        let mondays = (0..<weekCount).map { thisMonday.adding(days: -7 * (weekCount - 1 - $0)) }
        let covered = Set(services)
        var counts: [String: [ServiceStatistics?]] = [:]
        do {
            for (index, monday) in mondays.enumerated() {
                let rows = try store.statistics(
                    from: OperatorDesk.bounds(of: monday).0, to: OperatorDesk.bounds(of: monday.adding(days: 7)).0)
                for row in rows where covered.contains(row.serviceID) {
                    counts[row.serviceID, default: Array(repeating: nil, count: weekCount)][index] = row
                }
            }
        } catch {
            throw .booking(.database(DatabaseError(error)))
        }
        let language = context.language
        let t = site.renderer.texts(language)
        let charts: [TemplateValue] = services.filter { counts[$0] != nil }.enumerated().map { index, serviceID in
            let name = site.catalogue.service(id: serviceID)?.text(for: language).name ?? serviceID
            let perWeek = counts[serviceID] ?? []
            let weeks = mondays.indices.map { week in
                let row = perWeek.indices.contains(week) ? perWeek[week] : nil
                return StatisticsChart.Week(
                    label: "\(mondays[week].day)/\(mondays[week].month)", bookings: row?.bookings ?? 0,
                    absent: row?.absent ?? 0,
                    cancelled: (row?.cancelledByCitizen ?? 0) + (row?.cancelledByOperator ?? 0))
            }
            let chart = StatisticsChart(weeks: weeks)
            let labelY = chart.baseline + 18
            return .object([
                "id": .string("chart-\(index + 1)"), "service": .string(name),
                "chartTitle": .string(t.format("clerk.statistics.chartTitle", ["service": name])),
                "width": .string(String(chart.width)), "height": .string(String(chart.height)),
                "left": .string(String(StatisticsChart.left)), "right": .string(String(chart.width)),
                "top": .string(String(StatisticsChart.top)), "baseline": .string(String(chart.baseline)),
                "axisX": .string(String(StatisticsChart.left - 6)),
                "topLabelY": .string(String(StatisticsChart.top + 4)),
                "baselineLabelY": .string(String(chart.baseline + 4)), "max": .string(String(chart.maxValue)),
                "bars": .list(
                    chart.bars.map { bar in
                        .object([
                            "series": .string(bar.series), "value": .string(String(bar.value)),
                            "showValue": .bool(bar.value > 0), "x": .string(String(bar.x)),
                            "y": .string(String(bar.y)), "width": .string(String(bar.width)),
                            "height": .string(String(bar.height)), "valueX": .string(String(bar.x + bar.width / 2)),
                            "valueY": .string(String(bar.y - 4)),
                        ])
                    }),
                "labels": .list(
                    zip(chart.weeks, chart.labelCentres).map { week, x in
                        .object(["text": .string(week.label), "x": .string(String(x)), "y": .string(String(labelY))])
                    }),
                "rows": .list(
                    zip(mondays, weeks).map { monday, week in
                        .object([
                            "week": .string(t.format("clerk.statistics.weekOf", ["date": t.longDate(monday)])),
                            "bookings": .string(String(week.bookings)), "absent": .string(String(week.absent)),
                            "cancelled": .string(String(week.cancelled)),
                        ])
                    }),
            ])
        }
        let entries: [TemplateValue] = site.catalogue.services.filter {
            desk.account.covers(serviceID: $0.id, in: site.catalogue)
        }.map {
            .object([
                "id": .string($0.id), "name": .string($0.text(for: language).name),
                "selected": .bool($0.id == requested),
            ])
        }
        return page(
            "operator-statistics", status: 200,
            title: t.format(
                "clerk.statistics.title",
                ["from": t.longDate(mondays[0]), "to": t.longDate(thisMonday.adding(days: 6))]),
            context: context,
            values: [
                "signedInAs": .string(signedInAs), "charts": .list(charts), "hasCharts": .bool(!charts.isEmpty),
                "weeks": .string(String(weekCount)), "untilISO": .string(thisMonday.adding(days: 6).description),
                "maxWeeks": .string(String(Self.statisticsWeeksLimit)),
                "services": .list(entries), "statisticsAction": .string(layout.api(.operatorStatistics)),
                "gridURL": .string(viewURL(.operatorGrid, service: requested, date: nil, view: "week", language)),
                "csvAction": .string(layout.api(.operatorStats)),
                "csvFrom": .string(mondays[0].description), "csvTo": .string(thisMonday.adding(days: 6).description),
                "logoutAction": .string(layout.api(.operatorLogout)),
            ], pageID: .operatorLogin)
    }
}
