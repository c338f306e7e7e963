import SportelloTesting
import Testing

@testable import SportelloCore

/// How desk intervals become what a week page shows for each start of a desk service.
@Suite struct DeskOccupancyTests {
    let monday = "2026-11-23"

    @Test func aDeskServiceIsOfferedOnItsStepWithItsDesksAsCapacity() throws {
        let catalogue = try anagrafe()
        let certificati = try #require(catalogue.service(id: "certificati"))
        let starts = certificati.slots(on: date(monday))
        #expect(starts.map(\.start.description).prefix(3) == ["09:00", "09:15", "09:30"])
        #expect(starts.allSatisfy { $0.endInstant - $0.startInstant == 30 * 60 })
        #expect(certificati.capacity == 1 && catalogue.service(id: "residenza")?.capacity == 2)
        // A service without desks keeps its grid and capacity.
        let tributi = try #require(catalogue.service(id: "tributi"))
        #expect(tributi.capacity == 2)
        #expect(tributi.slots(on: date(monday)).map(\.start.description).prefix(2) == ["09:00", "09:20"])
        // Who shares a desk with whom, and what a hold claims.
        #expect(Set(catalogue.deskPartners["certificati"] ?? []) == ["residenza", "carta-identita"])
        #expect(catalogue.deskPartners["tributi"] == nil)
        let claim = try #require(catalogue.deskClaim(of: certificati, slot: starts[1]))
        #expect(claim.desks == [desk2] && claim.interval == interval(monday, "09:15", minutes: 30))
        #expect(claim.blockDesks["residenza"] == [desk1, desk2] && claim.blockDesks.count == 3)
        #expect(try catalogue.deskClaim(of: tributi, slot: #require(tributi.slots(on: date(monday)).first)) == nil)
    }

    @Test func aDeskIsBookedHeldOrBlockedInThatOrder() {
        var busy = DeskOccupancy(
            booked: [desk1: [interval(monday, "09:00", minutes: 40)]],
            held: [desk1: [interval(monday, "09:00", minutes: 20)], desk2: [interval(monday, "09:10", minutes: 20)]])
        busy.block(1, of: [desk2, desk1], over: interval(monday, "09:30", minutes: 60))
        #expect(busy.blocked == [desk2: [interval(monday, "09:30", minutes: 60)]])
        let desks = [desk1, desk2]
        #expect(
            busy.slotOccupancy(of: interval(monday, "09:00", minutes: 20), desks: desks)
                == SlotOccupancy(booked: 1, held: 1))
        #expect(
            busy.slotOccupancy(of: interval(monday, "09:40", minutes: 20), desks: desks)
                == SlotOccupancy(blocked: 1))
        #expect(busy.slotOccupancy(of: interval(monday, "10:40", minutes: 20), desks: desks) == .empty)
        #expect(busy.slotOccupancy(of: interval(monday, "09:30", minutes: 10), desks: [desk2]).blocked == 1)
    }

    @Test func aBlockNamingADeskTakesThatDeskOnlyAndOnlyWhenItServesTheService() {
        var busy = DeskOccupancy()
        let span = interval(monday, "09:00", minutes: 60)
        busy.block(2, named: desk2.key, of: [desk1, desk2], over: span)
        #expect(busy.blocked == [desk2: [span]])
        // A named desk the service does not have lays nothing (a row from a renamed desk, say).
        busy.block(1, named: desk1.key, of: [desk2], over: interval(monday, "11:00", minutes: 30))
        busy.block(1, named: "anagrafe/Sportello 9", of: [desk1, desk2], over: interval(monday, "12:00", minutes: 30))
        #expect(busy.blocked == [desk2: [span]])
        // No name: counted in the service's order, as before.
        busy.block(1, named: nil, of: [desk1, desk2], over: span)
        #expect(busy.blocked == [desk1: [span], desk2: [span]])
        #expect(DeskID(key: desk2.key) == desk2 && DeskID(key: "no slash") == nil)
        #expect(DeskID(key: "tributi/Sportello A/B")?.name == "Sportello A/B")
    }

    /// Random bookings, holds and blocks of three services on shared desks: a start is free on the week page
    /// exactly when `assign` would give it a desk, the free count is the number of desks it could take, and
    /// the intervals placed by `assign` never overlap on a desk nor run more at once than there are desks.
    @Test func randomOccupancyAgreesWithAssignment() throws {
        let catalogue = try anagrafe(hours: "08:30-13:00")
        let services = ["residenza", "carta-identita", "certificati"].compactMap { catalogue.service(id: $0) }
        try #require(services.count == 3)
        let day = date(monday)
        let now = instant(monday, "00:00") - 7 * 86_400
        for seed in UInt64(1)...30 {
            var generator = SplitMix64(state: seed)
            var busy = DeskOccupancy()
            for _ in 0..<25 {
                guard let service = services.randomElement(using: &generator),
                    let slot = service.slots(on: day).randomElement(using: &generator),
                    let request = DeskInterval(start: slot.startInstant, end: slot.endInstant)
                else { continue }
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: busy.block(1, of: service.desks, over: request)
                default:
                    guard let desk = DeskAllocation.assign(request, desks: service.desks, occupied: busy.all) else {
                        continue
                    }
                    if Bool.random(using: &generator) {
                        busy.booked[desk, default: []].append(request)
                    } else {
                        busy.held[desk, default: []].append(request)
                    }
                }
                for other in services {
                    for start in other.slots(on: day) {
                        guard let span = DeskInterval(start: start.startInstant, end: start.endInstant) else {
                            continue
                        }
                        let cell = other.availability(
                            of: start, occupancy: busy.slotOccupancy(of: span, desks: other.desks), now: now)
                        let assignable = other.desks.filter {
                            DeskAllocation.assign(span, desks: [$0], occupied: busy.all) != nil
                        }
                        #expect((cell.state == .free) == !assignable.isEmpty, "seed \(seed) \(other.id) \(start.start)")
                        #expect(cell.freeDesks == assignable.count, "seed \(seed)")
                    }
                }
            }
            // Bookings and holds (placed by assign) never overlap on one desk, nor exceed the desks at any start.
            var placed: [DeskID: [DeskInterval]] = [:]
            for (desk, spans) in busy.booked.merging(busy.held, uniquingKeysWith: +) { placed[desk] = spans }
            for (desk, spans) in placed {
                for (index, one) in spans.enumerated() {
                    #expect(!spans[(index + 1)...].contains { $0.overlaps(one) }, "seed \(seed) \(desk)")
                }
            }
            let everything = placed.values.flatMap { $0 }
            for one in everything {
                #expect(everything.filter { $0.start <= one.start && one.start < $0.end }.count <= 2)
            }
        }
    }

    /// The grid excerpt of README "Desks shared by services", computed from the README's own example.
    @Test func theREADMEGridExcerpt() throws {
        let catalogue = try readmeDeskExample()
        let busy = DeskOccupancy(booked: [
            desk1: [interval(monday, "09:00", minutes: 30)], desk2: [interval(monday, "09:10", minutes: 20)],
        ])
        let now = instant(monday, "00:00") - 86_400
        func cells(_ id: String) throws -> [String: String] {
            let service = try #require(catalogue.service(id: id))
            var cells: [String: String] = [:]
            for slot in service.slots(on: date(monday)) where slot.start.minutes < 9 * 60 + 40 {
                let span = try #require(DeskInterval(start: slot.startInstant, end: slot.endInstant))
                let cell = service.availability(
                    of: slot, occupancy: busy.slotOccupancy(of: span, desks: service.desks), now: now)
                cells[slot.start.description] = cell.state == .free ? "free \(cell.freeDesks)" : "\(cell.state)"
            }
            return cells
        }
        #expect(
            try cells("carta-identita") == [
                "08:30": "free 2", "08:40": "free 2", "08:50": "free 1", "09:00": "booked", "09:10": "booked",
                "09:20": "booked", "09:30": "free 2",
            ])
        #expect(
            try cells("certificati") == [
                "08:30": "free 1", "08:40": "free 1", "08:50": "free 1", "09:00": "free 1", "09:10": "booked",
                "09:20": "booked", "09:30": "free 1",
            ])
        #expect(
            try cells("residenza") == [
                "08:30": "free 2", "08:45": "booked", "09:00": "booked", "09:15": "booked", "09:30": "free 2",
            ])
    }
}
