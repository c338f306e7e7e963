import SportelloTesting
import Testing

@testable import SportelloCore

@Suite struct DeskAllocationTests {
    let monday = "2026-11-23"

    @Test func overlappingLengthsTakeTheFirstFreeDeskAndAThirdIsRefused() {
        var occupied: [DeskID: [DeskInterval]] = [:]
        let desks = [desk1, desk2]
        let forty = interval(monday, "09:00", minutes: 40)
        #expect(DeskAllocation.assign(forty, desks: desks, occupied: occupied) == desk1)
        occupied[desk1, default: []].append(forty)
        let twenty = interval(monday, "09:10", minutes: 20)
        #expect(DeskAllocation.assign(twenty, desks: desks, occupied: occupied) == desk2)
        occupied[desk2, default: []].append(twenty)
        #expect(DeskAllocation.assign(interval(monday, "09:20", minutes: 30), desks: desks, occupied: occupied) == nil)
        #expect(DeskAllocation.assign(interval(monday, "09:25", minutes: 5), desks: desks, occupied: occupied) == nil)
        // Stable: the same question gets the same answer; the service's own order decides.
        let half = interval(monday, "09:30", minutes: 10)
        #expect(DeskAllocation.assign(half, desks: desks, occupied: occupied) == desk2)
        #expect(DeskAllocation.assign(half, desks: desks, occupied: occupied) == desk2)
        let later = interval(monday, "09:40", minutes: 10)
        #expect(DeskAllocation.assign(later, desks: [desk2, desk1], occupied: occupied) == desk2)
        #expect(DeskAllocation.assign(later, desks: desks, occupied: occupied) == desk1)
        #expect(DeskAllocation.assign(forty, desks: [], occupied: [:]) == nil)
    }

    @Test func adjacentIntervalsDoNotOverlap() {
        let first = interval(monday, "09:00", minutes: 20)
        let second = interval(monday, "09:20", minutes: 20)
        #expect(!first.overlaps(second) && !second.overlaps(first))
        #expect(first.overlaps(interval(monday, "09:19", minutes: 20)))
        #expect(interval(monday, "09:00", minutes: 60).overlaps(interval(monday, "09:20", minutes: 5)))
        #expect(DeskAllocation.assign(second, desks: [desk1], occupied: [desk1: [first]]) == desk1)
        #expect(DeskInterval(start: 10, end: 10) == nil && DeskInterval(start: 10, end: 9) == nil)
    }

    @Test func startsFollowTheStepAndEndWithinTheRangeAndOutsidePauses() throws {
        let catalogue = try anagrafe(hours: "09:00-10:30", pauses: #"["09:50-10:00"]"#)
        let carta = try #require(catalogue.service(id: "carta-identita"))  // 20 minutes every 10
        let starts = DeskAllocation.freeStarts(of: carta, on: date(monday), occupied: [:])
        #expect(starts.map(\.start.description) == ["09:00", "09:10", "09:20", "09:30", "10:00", "10:10"])
        #expect(starts.allSatisfy { $0.durationMinutes == 20 })
        let certificati = try #require(catalogue.service(id: "certificati"))  // 30 minutes every 15
        #expect(
            DeskAllocation.freeStarts(of: certificati, on: date(monday), occupied: [:]).map(\.start.description)
                == ["09:00", "09:15", "10:00"])
        // A holiday and a day without hours offer nothing.
        #expect(DeskAllocation.freeStarts(of: carta, on: date("2026-12-08"), occupied: [:]).isEmpty)
        #expect(DeskAllocation.freeStarts(of: carta, on: date("2026-11-28"), occupied: [:]).isEmpty)
        // A requested start must be one the schedule offers.
        #expect(carta.appointment(startingAt: instant(monday, "09:10")) == interval(monday, "09:10", minutes: 20))
        #expect(carta.appointment(startingAt: instant(monday, "09:05")) == nil)
        #expect(carta.appointment(startingAt: instant(monday, "09:40")) == nil)  // would run into the pause
        #expect(carta.appointment(startingAt: .max) == nil)
    }

    @Test func otherServicesBookingsOnSharedDesksRemoveStarts() throws {
        let catalogue = try anagrafe(hours: "09:00-11:00")
        let carta = try #require(catalogue.service(id: "carta-identita"))
        let certificati = try #require(catalogue.service(id: "certificati"))
        // Residenza (40 min) on desk 1 and carta (20 min) on desk 2.
        let occupied = [
            desk1: [interval(monday, "09:00", minutes: 40)],
            desk2: [interval(monday, "09:10", minutes: 20)],
        ]
        let cards = DeskAllocation.freeStarts(of: carta, on: date(monday), occupied: occupied)
        #expect(cards.first?.start.description == "09:30")
        // Certificati uses desk 2 only: free from 09:30 on its 15-minute step, i.e. 09:30.
        let certificates = DeskAllocation.freeStarts(of: certificati, on: date(monday), occupied: occupied)
        #expect(certificates.map(\.start.description).prefix(2) == ["09:30", "09:45"])
        // Desk 1 being busy does not matter to a service that desk 1 does not serve.
        #expect(
            DeskAllocation.freeStarts(
                of: certificati, on: date(monday),
                occupied: [desk1: [interval(monday, "09:00", minutes: 120)]]
            ).count == 7)
    }

    /// The last Sundays of March and October of 2026 and 2027: the hour that does not exist yields no start,
    /// the repeated one yields each label once, and every interval is measured in real seconds. (The spring
    /// day of 2027 is Easter: closed like any holiday, but the desk arithmetic is the same.)
    @Test(arguments: [("2026-03-29", "2026-10-25", false), ("2027-03-28", "2027-10-31", true)])
    func daylightSavingDays(spring: String, autumn: String, springIsEaster: Bool) throws {
        let catalogue = try anagrafe(days: ["sun"], hours: "01:00-04:00")
        let residenza = try #require(catalogue.service(id: "residenza"))  // 40 minutes every 10
        let springStarts = DeskAllocation.freeStarts(of: residenza, on: date(spring), occupied: [:])
        #expect(springStarts.isEmpty == springIsEaster)
        #expect(!springStarts.contains { (120..<180).contains($0.start.minutes) })
        #expect(springStarts.allSatisfy { $0.endInstant - $0.startInstant == 2_400 })
        // 01:40 CET lasts until 03:20 CEST: with both desks busy then, 03:00 and 03:10 are not free, 03:20 is.
        let lateWinter = interval(spring, "01:40", minutes: 40)
        #expect(lateWinter.end == instant(spring, "03:20"))
        let busy = [desk1: [lateWinter], desk2: [lateWinter]]
        let both = [desk1, desk2]
        #expect(DeskAllocation.assign(interval(spring, "03:10", minutes: 40), desks: both, occupied: busy) == nil)
        #expect(DeskAllocation.assign(interval(spring, "03:20", minutes: 40), desks: both, occupied: busy) == desk1)
        let afterChange = DeskAllocation.freeStarts(of: residenza, on: date(spring), occupied: busy)
            .map(\.start.description).filter { $0 >= "03:00" }
        #expect(afterChange == (springIsEaster ? [] : ["03:20"]))

        let autumnStarts = DeskAllocation.freeStarts(of: residenza, on: date(autumn), occupied: [:])
        let labels = autumnStarts.map(\.start.description)
        #expect(labels.count == Set(labels).count && labels.contains("02:30"))
        #expect(autumnStarts.allSatisfy { $0.endInstant - $0.startInstant == 2_400 })
        // 02:40 CEST lasts until 02:20 CET: 03:00 CET starts 40 real minutes later, so it stays free.
        let summerEnd = interval(autumn, "02:40", minutes: 40)
        let autumnBusy = [desk1: [summerEnd], desk2: [summerEnd]]
        let free = DeskAllocation.freeStarts(of: residenza, on: date(autumn), occupied: autumnBusy)
            .map(\.start.description)
        #expect(free.contains("03:00") && !free.contains("02:10") && free.contains("02:00"))
    }

    /// Random days of requests from three services of different lengths on shared desks: a start is offered
    /// exactly when it can be assigned, and no desk ever carries two overlapping intervals.
    @Test func randomRequestsNeverOverlapOnADeskAndEveryOfferedStartIsAssignable() throws {
        let catalogue = try anagrafe(hours: "08:30-13:00", pauses: #"["10:40-11:00"]"#)
        let services = ["residenza", "carta-identita", "certificati"].compactMap { catalogue.service(id: $0) }
        try #require(services.count == 3)
        for seed in UInt64(1)...40 {
            var generator = SplitMix64(state: seed)
            var occupied: [DeskID: [DeskInterval]] = [:]
            for _ in 0..<60 {
                guard let service = services.randomElement(using: &generator) else { continue }
                let starts = service.slots(
                    on: date(monday), lengthMinutes: service.appointmentMinutes,
                    stepMinutes: service.stepMinutes)
                guard let slot = starts.randomElement(using: &generator) else { continue }
                let request = try #require(DeskInterval(start: slot.startInstant, end: slot.endInstant))
                let offered = DeskAllocation.freeStarts(of: service, on: date(monday), occupied: occupied)
                    .contains { $0.startInstant == slot.startInstant }
                let desk = DeskAllocation.assign(request, desks: service.desks, occupied: occupied)
                #expect(offered == (desk != nil), "seed \(seed)")
                if let desk {
                    #expect(service.desks.contains(desk))
                    occupied[desk, default: []].append(request)
                }
            }
            for (desk, intervals) in occupied {
                for (index, one) in intervals.enumerated() {
                    #expect(!intervals[(index + 1)...].contains { $0.overlaps(one) }, "seed \(seed), \(desk)")
                }
            }
            #expect(occupied.values.reduce(0) { $0 + $1.count } > 0)
        }
    }
}
