import SportelloTesting
import Testing

@testable import SportelloCore

/// Occupancy and hold liveness: the one definition of each (docs/ARCHITECTURE.md §3).
@Suite struct OccupancyRuleTests {
    @Test func bookingsOccupyTheirSlotUntilCancelled() {
        #expect(BookingState.occupyingStates == [.booked, .pending, .done, .absent])
        for state in BookingState.allCases {
            let cancelled = state == .cancelledByCitizen || state == .cancelledByOperator
            #expect(state.occupiesSlot == !cancelled, "\(state)")
            // A request the office has not confirmed holds its slot but never took place.
            #expect(state.acceptsOutcome == (state.occupiesSlot && state != .pending), "\(state)")
            #expect(BookingState.occupyingStates.contains(state) == state.occupiesSlot, "\(state)")
        }
    }

    @Test func aBookingIsActiveWhileBookedOrPendingAndNotYetStarted() {
        let now: Int64 = 1_800_000_000
        for state in BookingState.allCases {
            for offset: Int64 in [-3_600, -1, 0, 1, 3_600] {
                #expect(
                    state.isActive(slotStart: now + offset, at: now)
                        == ((state == .booked || state == .pending) && offset > 0),
                    "\(state) \(offset)")
            }
        }
    }

    @Test func aHoldIsLiveUntilItsExpirySecondUnlessReleasedOrConfirmed() {
        let now: Int64 = 1_800_000_000
        for released in [false, true] {
            for confirmed in [false, true] {
                for offset: Int64 in [-3_600, -1, 0, 1, 3_600] {
                    let expiresAt = now + offset
                    let running = offset > 0
                    #expect(HoldLiveness.isRunning(expiresAt: expiresAt, at: now) == running)
                    #expect(
                        HoldLiveness.isLive(released: released, confirmed: confirmed, expiresAt: expiresAt, at: now)
                            == (!released && !confirmed && running),
                        "released \(released) confirmed \(confirmed) offset \(offset)")
                    // "Expired" is only said of a hold not confirmed, released or not.
                    #expect(
                        HoldLiveness.hasRunOut(confirmed: confirmed, expiresAt: expiresAt, at: now)
                            == (!confirmed && !running))
                }
            }
        }
    }

    @Test func aHoldRunsOutInTheHalfOpenIntervalAfterTheLastLook() {
        let expiresAt: Int64 = 1_000
        // Live at `from` (expiresAt > from) and not running at `to` (expiresAt <= to).
        #expect(HoldLiveness.ranOut(released: false, confirmed: false, expiresAt: expiresAt, between: 999, and: 1_000))
        #expect(HoldLiveness.ranOut(released: false, confirmed: false, expiresAt: expiresAt, between: 0, and: 5_000))
        #expect(
            !HoldLiveness.ranOut(
                released: false, confirmed: false, expiresAt: expiresAt,
                between: 1_000, and: 2_000))
        #expect(!HoldLiveness.ranOut(released: false, confirmed: false, expiresAt: expiresAt, between: 500, and: 999))
        #expect(!HoldLiveness.ranOut(released: true, confirmed: false, expiresAt: expiresAt, between: 999, and: 1_000))
        #expect(!HoldLiveness.ranOut(released: false, confirmed: true, expiresAt: expiresAt, between: 999, and: 1_000))
        // Successive looks (a, b], (b, c] see each expiry exactly once.
        let looks: [Int64] = [0, 400, 999, 1_000, 1_001, 3_000]
        for expiry: Int64 in [1, 400, 401, 999, 1_000, 1_001, 2_999, 3_000] {
            let seen = zip(looks, looks.dropFirst()).filter {
                HoldLiveness.ranOut(released: false, confirmed: false, expiresAt: expiry, between: $0.0, and: $0.1)
            }
            #expect(seen.count == 1, "expiry \(expiry)")
        }
    }
}

/// The no-show rule: absences within `withinDays` of each other bar the person `blockDays` from the last one.
@Suite struct NoShowRuleTests {
    let day: Int64 = 86_400
    let now = instant("2026-11-25", "10:00")
    let policy = NoShowPolicy(absences: 2, withinDays: 30, blockDays: 60)

    @Test func tooFewAbsencesDoNotBar() {
        #expect(policy.blockedUntil(absences: [], now: now) == nil)
        #expect(policy.blockedUntil(absences: [now - day], now: now) == nil)
    }

    @Test func enoughAbsencesWithinTheWindowBarFromTheLastOne() {
        let last = now - 5 * day
        #expect(policy.blockedUntil(absences: [last - 10 * day, last], now: now) == last + 60 * day)
        // Exactly `withinDays` apart still counts; one second more does not.
        #expect(policy.blockedUntil(absences: [last - 30 * day, last], now: now) == last + 60 * day)
        #expect(policy.blockedUntil(absences: [last - 30 * day - 1, last], now: now) == nil)
        // The order the facts come in does not matter.
        #expect(policy.blockedUntil(absences: [last, last - 10 * day], now: now) == last + 60 * day)
    }

    @Test func theBarEndsAtItsInstant() {
        let last = now - 60 * day
        #expect(policy.blockedUntil(absences: [last - day, last], now: now) == nil)  // ends exactly now
        #expect(policy.blockedUntil(absences: [last - day, last + 1], now: now) == now + 1)  // one second to go
    }

    @Test func theLatestQualifyingRunDecides() {
        // A run whose bar is over bars no more.
        #expect(policy.blockedUntil(absences: [now - 70 * day, now - 65 * day], now: now) == nil)
        // (−50, −45) qualify; (−45, −3) are 42 days apart and do not: the bar runs from −45.
        let absences = [now - 50 * day, now - 45 * day, now - 3 * day]
        #expect(policy.blockedUntil(absences: absences, now: now) == now + 15 * day)
        // A later run moves the bar on.
        #expect(policy.blockedUntil(absences: absences + [now - 2 * day], now: now) == now + 58 * day)
    }

    @Test func onlyAbsencesInTheLookbackUpToNowCount() {
        #expect(policy.lookbackStart(now: now) == now - 90 * day)
        // Absences at or before the lookback start could only bar until before now; future ones have not happened.
        let lookback = policy.lookbackStart(now: now)
        #expect(policy.blockedUntil(absences: [lookback - day, lookback], now: now) == nil)
        #expect(policy.blockedUntil(absences: [now + day, now + 2 * day], now: now) == nil)
        #expect(policy.blockedUntil(absences: [now - day, now], now: now) == now + 60 * day)
    }

    @Test func aThresholdOfOneAndAnInvalidZeroBarOnTheFirstAbsence() {
        let one = NoShowPolicy(absences: 1, withinDays: 1, blockDays: 7)
        #expect(one.blockedUntil(absences: [now - day], now: now) == now + 6 * day)
        // Refused by the configuration; no crash here.
        let zero = NoShowPolicy(absences: 0, withinDays: 1, blockDays: 7)
        #expect(zero.blockedUntil(absences: [now - day], now: now) == now + 6 * day)
        #expect(zero.blockedUntil(absences: [], now: now) == nil)
    }

    @Test func daysAreTwentyFourHoursEvenAcrossTheClockChanges() {
        let one = NoShowPolicy(absences: 1, withinDays: 1, blockDays: 1)
        // Saturday before the spring change: the bar ends 24 hours later, 11:00 summer time on Sunday.
        let spring = instant("2026-03-28", "10:00")
        let springUntil = one.blockedUntil(absences: [spring], now: spring + 60)
        #expect(springUntil == instant("2026-03-29", "11:00"))
        // Saturday before the autumn change: 09:00 winter time on Sunday.
        let autumn = instant("2026-10-24", "10:00")
        #expect(one.blockedUntil(absences: [autumn], now: autumn + 60) == instant("2026-10-25", "09:00"))
    }
}

/// Per-person and per-client limits as decisions over counts.
@Suite struct BookingLimitsTests {
    @Test func thePerPersonLimitAllowsFewerActiveBookingsThanItself() {
        for active in 0...6 {
            #expect(BookingLimits.allowsAnotherBooking(activeBookings: active, limit: nil))
            for limit in 1...5 {
                #expect(
                    BookingLimits.allowsAnotherBooking(activeBookings: active, limit: limit) == (active < limit),
                    "\(active)/\(limit)")
            }
        }
    }

    @Test func theHoldCapCountsLiveHoldsAndZeroMeansNoCap() {
        for live in 0...6 {
            #expect(BookingLimits.allowsAnotherHold(liveHolds: live, limit: 0))
            #expect(BookingLimits.allowsAnotherHold(liveHolds: live, limit: -1))
            for limit in 1...5 {
                #expect(
                    BookingLimits.allowsAnotherHold(liveHolds: live, limit: limit) == (live < limit),
                    "\(live)/\(limit)")
            }
        }
    }

    @Test func dailyCapsApplyWithAKeyAndALimitAndAreSpentAtTheLimit() {
        #expect(BookingLimits.dailyCapApplies(key: "book:address:203.0.113.9", limit: 3))
        #expect(!BookingLimits.dailyCapApplies(key: "", limit: 3))
        #expect(!BookingLimits.dailyCapApplies(key: "book:address:203.0.113.9", limit: 0))
        for used in 0...6 {
            #expect(!BookingLimits.dailyCapSpent(used: used, limit: 0))
            for limit in 1...5 {
                #expect(BookingLimits.dailyCapSpent(used: used, limit: limit) == (used >= limit), "\(used)/\(limit)")
            }
        }
    }

    @Test func dailyCapsOpenAgainAtLocalMidnightOnEveryKindOfDay() {
        let days = [("2026-11-25", 24), ("2026-03-29", 23), ("2026-10-25", 25), ("2027-03-28", 23), ("2027-10-31", 25)]
        for (text, hours) in days {
            let midnight = instant(text, "00:00")
            let next = instant(date(text).adding(days: 1).description, "00:00")
            #expect(next - midnight == Int64(hours) * 3_600, "\(text)")
            for moment in [midnight, midnight + 1, instant(text, "12:00"), next - 1] {
                let (day, ends) = BookingLimits.civilDay(of: moment)
                #expect(day == Int64(date(text).dayNumber), "\(text) \(moment)")
                #expect(ends == next, "\(text) \(moment)")
            }
            #expect(BookingLimits.civilDay(of: next).day == Int64(date(text).dayNumber) + 1)
        }
    }
}
