import SportelloTesting
import Testing

@testable import SportelloCore

/// The nearest free slots offered with a refusal, checked against a plain statement of the rule over every
/// slot of the window, on ordinary weeks and on both DST weeks.
@Suite struct AlternativesTests {
    let service: Service

    init() throws {
        // Night hours too, so the DST days have a missing and a repeated hour inside the schedule.
        let every = #"["01:00-04:00", "09:00-12:00"]"#
        let configuration = try makeConfiguration(
            """
            [{"id": "s", "name": "S", "slotMinutes": 60, "capacity": 2,
              "schedule": {"mon": \(every), "tue": \(every), "wed": \(every), "thu": \(every), "fri": \(every),
                           "sat": \(every), "sun": \(every)},
              "window": {"minimumNoticeMinutes": 60, "maxDaysAhead": 20}}]
            """)
        service = try #require(Catalogue(configuration: configuration).service(id: "s"))
    }

    /// The rule as stated: free slots other than the requested one; up to `limit` from the requested one on
    /// within two weeks (and the window); fewer, and the nearest free ones before it (not past) fill up.
    func expected(from slot: Slot?, limit: Int, now: Int64, occupancy: [Int64: SlotOccupancy]) -> [Slot] {
        let today = RomeTime.local(now).date
        let lastDay = service.lastBookableDay(today: today)
        let start = max(now, slot?.startInstant ?? now)
        let endDay = min(RomeTime.local(start).date.adding(days: 14), lastDay)
        var free: [Slot] = []
        var day = today
        while day <= lastDay {
            free += service.slots(on: day).filter {
                $0.startInstant != slot?.startInstant
                    && service.availability(
                        of: $0, occupancy: occupancy[$0.startInstant] ?? .empty,
                        now: now
                    ).state == .free
            }
            day = day.adding(days: 1)
        }
        let after = Array(free.filter { $0.startInstant >= start && $0.date <= endDay }.prefix(max(0, limit)))
        let before = free.filter { $0.startInstant >= now && $0.startInstant < start }
            .suffix(max(0, limit - after.count))
        return Array(before) + after
    }

    /// A deterministic generator (SplitMix64), so a failure repeats.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func slots(from first: CivilDate, days: Int) -> [Slot] {
        (0..<days).flatMap { service.slots(on: first.adding(days: $0)) }
    }

    @Test(arguments: ["2026-11-20", "2026-03-20", "2026-10-16", "2026-03-28", "2026-10-24"])
    func theSearchFindsWhatTheRuleSays(start: String) {
        var generator = Generator(state: UInt64(date(start).dayNumber))
        let candidates = slots(from: date(start).adding(days: -1), days: 40)
        var answered = 0
        var reachedBack = 0
        for round in 0..<60 {
            let now = instant(start, "00:00") + Int64.random(in: 0..<(3 * 86_400), using: &generator)
            // Most slots full or taken, so the answer has to reach far, before and after.
            var occupancy: [Int64: SlotOccupancy] = [:]
            let fullShare = [0.2, 0.8, 0.97, 1.0][round % 4]
            for candidate in candidates where Double.random(in: 0..<1, using: &generator) < fullShare {
                let taken = [SlotOccupancy(booked: 2), SlotOccupancy(held: 2), SlotOccupancy(booked: 1, blocked: 1)]
                occupancy[candidate.startInstant] = taken.randomElement(using: &generator)
            }
            let requested = round % 7 == 0 ? nil : candidates.randomElement(using: &generator)
            let limit = [0, 1, 5, 12][round % 4]
            let range = service.alternativesOccupancyRange(from: requested, now: now)
            let visible = occupancy.filter { range.contains($0.key) }
            let found = service.nearestFreeSlots(from: requested, limit: limit, now: now, occupancy: visible)
            #expect(
                found == expected(from: requested, limit: limit, now: now, occupancy: occupancy),
                "start \(start) round \(round) now \(now) requested \(requested?.startInstant ?? -1)")
            #expect(found.count <= limit)
            if !found.isEmpty { answered += 1 }
            if let requested, found.contains(where: { $0.startInstant < requested.startInstant }) { reachedBack += 1 }
        }
        // The rounds exercise both halves of the answer.
        #expect(answered > 20 && reachedBack > 0, "answered \(answered), reached back \(reachedBack)")
    }

    @Test func aCachedAnswerIsKeptOnlyWhenAFreshSearchWouldGiveIt() {
        var generator = Generator(state: 42)
        let now = instant("2026-03-27", "08:00")
        let candidates = slots(from: date("2026-03-27"), days: 21)
        for round in 0..<200 {
            var occupancy: [Int64: SlotOccupancy] = [:]
            for candidate in candidates where Bool.random(using: &generator) {
                occupancy[candidate.startInstant] = SlotOccupancy(booked: 2)
            }
            let requested = candidates.randomElement(using: &generator)
            let cached = service.nearestFreeSlots(from: requested, limit: 5, now: now, occupancy: occupancy)
            // Meanwhile some places are taken and some freed.
            for candidate in candidates where Int.random(in: 0..<10, using: &generator) == 0 {
                let wasFree = occupancy[candidate.startInstant] == nil
                occupancy[candidate.startInstant] = wasFree ? SlotOccupancy(held: 2) : nil
            }
            let later = now + Int64(round % 3) * 1_800
            let fresh = service.nearestFreeSlots(from: requested, limit: 5, now: later, occupancy: occupancy)
            let kept = service.revalidatedFreeSlots(cached, from: requested, limit: 5, now: later, occupancy: occupancy)
            if let kept {
                #expect(kept == fresh, "round \(round)")
                let range = service.revalidationRange(of: cached, from: requested, limit: 5, now: later)
                #expect(range.map { r in kept.allSatisfy { r.contains($0.startInstant) } } == true)
            }
        }
    }

    @Test func aShortOrEarlierAnswerIsSearchedAgain() throws {
        let now = instant("2026-11-20", "08:00")
        let requested = try #require(service.slot(startingAt: instant("2026-11-25", "10:00")))
        let answer = service.nearestFreeSlots(from: requested, limit: 5, now: now, occupancy: [:])
        #expect(answer.map { RomeTime.local($0.startInstant).minutes / 60 } == [11, 1, 2, 3, 9])
        #expect(service.revalidationRange(of: answer, from: requested, limit: 5, now: now) != nil)
        #expect(service.revalidationRange(of: Array(answer.prefix(4)), from: requested, limit: 5, now: now) == nil)
        let earlier = try #require(service.slot(startingAt: instant("2026-11-25", "09:00")))
        #expect(service.revalidationRange(of: [earlier] + answer.prefix(4), from: requested, limit: 5, now: now) == nil)
    }

    @Test func theMissingHourOffersNothingAndTheRepeatedHourOnce() throws {
        // Everything full but the night of each change: the answer is the night's slots, as the schedule has them.
        for (day, hours) in [("2026-03-29", [1, 3]), ("2026-10-25", [1, 2, 3])] {
            let now = instant(day, "00:00") - 5 * 86_400
            var occupancy: [Int64: SlotOccupancy] = [:]
            for candidate in slots(from: RomeTime.local(now).date, days: 21)
            where candidate.date != date(day) || candidate.start.hour >= 9 {
                occupancy[candidate.startInstant] = SlotOccupancy(booked: 2)
            }
            let found = service.nearestFreeSlots(from: nil, limit: 5, now: now, occupancy: occupancy)
            #expect(found.map(\.start.hour) == hours, "\(day)")
            #expect(found.allSatisfy { $0.date == date(day) })
        }
    }

    @Test func nothingLeftGivesAnEmptyAnswer() {
        let now = instant("2026-11-20", "08:00")
        var occupancy: [Int64: SlotOccupancy] = [:]
        for candidate in slots(from: date("2026-11-20"), days: 22) {
            occupancy[candidate.startInstant] = SlotOccupancy(booked: 2)
        }
        #expect(service.nearestFreeSlots(from: nil, limit: 5, now: now, occupancy: occupancy).isEmpty)
        // A slot asked for far beyond the window: the free ones before it.
        let far = instant("2027-06-01", "09:00")
        let late = service.nearestFreeSlots(from: service.slot(startingAt: far), limit: 3, now: now, occupancy: [:])
        #expect(late.count == 3 && late.allSatisfy { $0.date == service.lastBookableDay(today: date("2026-11-20")) })
    }
}
