import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// "Le mie prenotazioni" on week grids: each week of a service where the signed-in citizen has an active
/// booking, the public states of its slots and the citizen's own slots marked, with "Annulla" there. An endpoint
/// page (`no-store`, the session cookie), never a file: the static week pages hold no personal data, and this
/// one shows no one else's outcome either, only the public cell states.
extension AccountsController {
    /// The most weeks (one per service and week with an active booking) one page shows.
    static let ownWeeksLimit = 8

    func myBookingsWeek(_ fields: FormFields, _ context: RequestContext) -> HTTPResponse {
        guard let citizen = context.citizen else { return failure(.signInRequired, context) }
        let now = clock()
        let language = context.language
        let t = site.renderer.texts(language)
        let active: [Booking]
        do {
            active = try store.bookings(visibleTo: citizen.viewer)
                .filter { $0.state.isActive(slotStart: $0.slot.start, at: now) }
                .sorted { $0.slot.start < $1.slot.start }
        } catch {
            return failure(EndpointError(error), context)
        }
        var groups: [(service: Service, monday: CivilDate, bookings: [Booking])] = []
        for booking in active {
            guard let service = site.catalogue.service(id: booking.slot.serviceID) else { continue }
            let monday = RomeTime.local(booking.slot.start).date.mondayOfWeek
            if let index = groups.firstIndex(where: { $0.service.id == service.id && $0.monday == monday }) {
                groups[index].bookings.append(booking)
            } else if groups.count < Self.ownWeeksLimit {
                groups.append((service, monday, [booking]))
            }
        }
        let occupancySource = StoreOccupancy(store: store, catalogue: site.catalogue)
        var weeks: [TemplateValue] = []
        for (index, group) in groups.enumerated() {
            let from = OperatorDesk.bounds(of: group.monday).0
            let to = OperatorDesk.bounds(of: group.monday.adding(days: 7)).0
            let occupancy: [Int64: SlotOccupancy]
            do {
                occupancy =
                    try occupancySource.occupancy(serviceID: group.service.id, from: from, to: to, now: now)[
                        group.service.id] ?? [:]
            } catch {
                return failure(EndpointError(error), context)
            }
            weeks.append(
                ownWeek(
                    group.service, monday: group.monday, mine: group.bookings, occupancy: occupancy, now: now,
                    id: "week-\(index + 1)", t: t, language: language))
        }
        return page(
            "my-bookings-week", status: 200, title: t.text("clerk.mine.title"), context: context,
            values: [
                "who": .string(whoText(citizen, t)),
                "weeks": .list(weeks), "hasWeeks": .bool(!weeks.isEmpty),
                "more": .bool(
                    groups.count == Self.ownWeeksLimit && active.count > groups.map(\.bookings.count).reduce(0, +)),
                "cancelAction": .string(layout.api(.cancelMine)),
                "listURL": .string(layout.api(.myBookings) + "?lang=" + language),
                "catalogueURL": .string(layout.url(.catalogue, language: language)),
            ], pageID: .account)
    }

    /// Who the bookings pages are for ("Prenotazioni di …"), saying whether SPID/CIE certified the person.
    func whoText(_ citizen: Citizen, _ t: Translations) -> String {
        t.format(
            citizen.certified ? "myBookings.whoCertified" : "myBookings.who",
            ["name": citizen.fullName, "codiceFiscale": citizen.codiceFiscale])
    }

    /// One week of `service` as the public page shows it, the citizen's own slots (`mine`) marked instead.
    private func ownWeek(
        _ service: Service, monday: CivilDate, mine: [Booking], occupancy: [Int64: SlotOccupancy], now: Int64,
        id: String, t: Translations, language: String
    ) -> TemplateValue {
        let grid = service.week(startingOn: monday, occupancy: occupancy, now: now)
        let own = Dictionary(mine.map { ($0.slot.start, $0) }, uniquingKeysWith: { first, _ in first })
        let rows: [TemplateValue] = grid.times.map { time in
            .object([
                "time": .string(time.description),
                "cells": .list(
                    grid.days.map { day in
                        let dayText = TemplateValue.string(t.longDate(day.date))
                        guard let cell = day.cell(at: time) else {
                            return .object([
                                "state": "closed", "text": .string(t.text("state.closed")), "mine": false,
                                "day": dayText,
                            ])
                        }
                        if let booking = own[cell.slot.startInstant] {
                            return .object([
                                "state": "mine", "text": .string(t.text("clerk.mine.yours")), "mine": true,
                                "code": .string(booking.code), "day": dayText,
                            ])
                        }
                        return .object([
                            "state": .string(cell.state.rawValue),
                            "text": .string(t.text("state.\(cell.state.rawValue)")),
                            "mine": false, "day": dayText,
                        ])
                    }),
            ])
        }
        let days: [TemplateValue] = grid.days.map {
            .object(["label": .string(t.shortDate($0.date)), "long": .string(t.longDate($0.date))])
        }
        return .object([
            "id": .string(id), "service": .string(service.text(for: language).name),
            "label": .string(
                t.format("week.range", ["from": t.longDate(monday), "to": t.longDate(monday.adding(days: 6))])),
            "days": .list(days), "rows": .list(rows),
        ])
    }
}
