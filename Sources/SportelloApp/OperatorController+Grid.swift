import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The office's grid of one service: a week (or one day) of its slots, each cell listing what takes its desks in
/// the seven states of `OperatorSlotState`, with the citizen's name and contacts (the operator's scope covers
/// the service, or the grid is refused). Reached by a GET with its query, so a link, Back and a bookmark show it.
extension OperatorController {
    /// The grid page for `?service=&date=&view=week|day` (`entry` stands for `service` when that is missing;
    /// an office or no choice shows the first service of the operator's scope under it).
    func gridPage(
        desk: OperatorDesk, fields: FormFields, date: CivilDate, now: Int64, signedInAs: String,
        context: RequestContext
    ) throws(OperatorDesk.Failure) -> HTTPResponse {
        let requested = [fields["service"], fields["entry"]].compactMap { $0 }.first { !$0.isEmpty }
        let permitted = try desk.serviceIDs(entryID: requested)
        guard let service = permitted.lazy.compactMap({ self.site.catalogue.service(id: $0) }).first else {
            throw .forbidden
        }
        let dayView = fields["view"] == "day"
        let days = dayView ? [date] : (0..<7).map { date.mondayOfWeek.adding(days: $0) }
        let from = OperatorDesk.bounds(of: days[0]).0
        let to = OperatorDesk.bounds(of: days[days.count - 1]).1
        let bookings: [Booking]
        let occupancy: [Int64: SlotOccupancy]
        do {
            bookings = try store.agenda(serviceIDs: [service.id], from: from, to: to)
            occupancy =
                try StoreOccupancy(store: store, catalogue: site.catalogue)
                .occupancy(serviceID: service.id, from: from, to: to, now: now)[service.id] ?? [:]
        } catch let error as BookingError {
            throw .booking(error)
        } catch {
            throw .booking(.database(DatabaseError(error)))
        }
        let language = context.language
        let t = site.renderer.texts(language)
        let bookingsAt = Dictionary(grouping: bookings, by: \.slot.start)
        let slotsByDay = days.map { service.slots(on: $0) }
        // Every booking's local start: one that is no slot of today's schedule (the schedule changed, or a desk's
        // own length) still gets a row, as the office must see every booking of the period.
        var bookingStarts: [CivilDate: [LocalTime: Int64]] = [:]
        for booking in bookings {
            let local = RomeTime.local(booking.slot.start)
            if let time = LocalTime(minutes: local.minutes) {
                bookingStarts[local.date, default: [:]][time] = booking.slot.start
            }
        }
        let times = Set(slotsByDay.joined().map(\.start)).union(bookingStarts.values.flatMap(\.keys)).sorted()

        func mark(_ state: OperatorSlotState, _ text: String, count: Int = 1) -> TemplateValue {
            .object([
                "state": .string(state.rawValue),
                "text": .string(
                    count > 1 ? t.format("clerk.grid.count", ["text": text, "count": String(count)]) : text),
                // Named empty so the template never reads a booking's field from an enclosing scope.
                "name": "", "code": "", "phone": "", "email": "", "canOutcome": false,
            ])
        }
        func bookingMark(_ booking: Booking) -> TemplateValue {
            let person = booking.person
            return .object([
                "state": .string(OperatorSlotState(booking.state).rawValue),
                "text": .string(t.text("operator.stateNames.\(booking.state.rawValue)")),
                "name": .string("\(person.givenName) \(person.familyName)"), "code": .string(booking.code),
                "phone": .string(person.phone), "email": .string(person.email),
                "canOutcome": .bool(booking.slot.start <= now && booking.state.acceptsOutcome),
            ])
        }
        func cell(_ slot: Slot?, on date: CivilDate, at time: LocalTime) -> TemplateValue {
            let dayText = t.longDate(date)
            guard let slot else {
                let booked = bookingStarts[date]?[time].flatMap { bookingsAt[$0] } ?? []
                let marks = booked.isEmpty ? [mark(.closed, t.text("state.closed"))] : booked.map(bookingMark)
                return .object(["day": .string(dayText), "marks": .list(marks)])
            }
            let taken = occupancy[slot.startInstant] ?? .empty
            var marks = (bookingsAt[slot.startInstant] ?? []).map(bookingMark)
            if taken.held > 0 { marks.append(mark(.held, t.text("clerk.states.held"), count: taken.held)) }
            if taken.blocked > 0 {
                marks.append(mark(.closed, t.text("clerk.grid.unavailable"), count: taken.blocked))
            }
            let free = max(0, service.capacity - taken.booked - taken.held - taken.blocked)
            if free > 0 {
                marks.append(
                    slot.startInstant <= now
                        ? mark(.closed, t.text("clerk.grid.past"), count: free)
                        : mark(.free, t.text("clerk.states.free"), count: free))
            }
            return .object(["day": .string(dayText), "marks": .list(marks)])
        }
        let rows: [TemplateValue] = times.map { time in
            .object([
                "time": .string(time.description),
                "cells": .list(
                    days.indices.map { index in
                        cell(slotsByDay[index].first { $0.start == time }, on: days[index], at: time)
                    }),
            ])
        }
        let columns: [TemplateValue] = days.indices.map { index in
            let date = days[index]
            let closed = slotsByDay[index].isEmpty
            return .object([
                "label": .string(t.shortDate(date)), "long": .string(t.longDate(date)),
                "closed": .string(closed ? t.text("state.closed") : ""),
                "dayURL": .string(viewURL(.operatorGrid, service: service.id, date: date, view: "day", language)),
            ])
        }
        let step = dayView ? 1 : 7
        let otherView = dayView ? "week" : "day"
        let title =
            dayView
            ? t.format("clerk.grid.dayTitle", ["service": service.text(for: language).name, "date": t.longDate(date)])
            : t.format(
                "clerk.grid.weekTitle",
                [
                    "service": service.text(for: language).name, "from": t.longDate(days[0]),
                    "to": t.longDate(days[days.count - 1]),
                ])
        let services: [TemplateValue] = site.catalogue.services.filter {
            desk.account.covers(serviceID: $0.id, in: site.catalogue)
        }
        .map {
            .object([
                "id": .string($0.id), "name": .string($0.text(for: language).name),
                "selected": .bool($0.id == service.id),
            ])
        }
        let legend: [TemplateValue] = OperatorSlotState.allCases.map {
            .object([
                "state": .string($0.rawValue), "text": .string(t.text("clerk.states.\($0.rawValue)")),
                "help": .string(t.text("clerk.legend.\($0.rawValue)")),
            ])
        }
        let view = dayView ? "day" : "week"
        return page(
            "operator-grid", status: 200, title: title, context: context,
            values: [
                "signedInAs": .string(signedInAs), "serviceID": .string(service.id),
                "dateISO": .string(date.description),
                "dayView": .bool(dayView), "services": .list(services), "columns": .list(columns),
                "rows": .list(rows), "hasRows": .bool(!rows.isEmpty), "legend": .list(legend),
                "previousURL": .string(
                    viewURL(
                        .operatorGrid, service: service.id, date: date.adding(days: -step),
                        view: view, language)),
                "nextURL": .string(
                    viewURL(
                        .operatorGrid, service: service.id, date: date.adding(days: step),
                        view: view, language)),
                "switchURL": .string(
                    viewURL(.operatorGrid, service: service.id, date: date, view: otherView, language)),
                "switchText": .string(t.text(dayView ? "clerk.grid.showWeek" : "clerk.grid.showDay")),
                "previousText": .string(t.text(dayView ? "operator.previousDay" : "week.previous")),
                "nextText": .string(t.text(dayView ? "operator.nextDay" : "week.next")),
                "statisticsURL": .string(viewURL(.operatorStatistics, service: nil, date: nil, view: nil, language)),
                "gridAction": .string(layout.api(.operatorGrid)),
                "agendaAction": .string(layout.api(.operatorAgenda)),
                "outcomeAction": .string(layout.api(.operatorOutcome)),
                "logoutAction": .string(layout.api(.operatorLogout)),
            ], pageID: .operatorLogin)
    }

    /// What a query value keeps as it is (RFC 3986 unreserved): dates and ids stay readable in the address.
    static let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    /// The address of one of the office's views with its query (a GET), in `language`.
    func viewURL(
        _ route: EndpointRoute, service: String?, date: CivilDate?, view: String?, _ language: String
    ) -> String {
        let pairs: [(String, String?)] = [
            ("service", service), ("date", date?.description), ("view", view), ("lang", language),
        ]
        let query = pairs.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")" }
        }
        return layout.api(route) + "?" + query.joined(separator: "&")
    }
}
