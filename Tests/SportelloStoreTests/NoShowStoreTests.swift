import Foundation
import SportelloCore
import Testing

@testable import SportelloStore

/// The Store's part of the domain rules: it fetches the facts, Core decides (docs/ARCHITECTURE.md §3). The
/// SQL conditions derived from the Core rules are checked against them row by row.
@Suite struct NoShowStoreTests {
    let day: Int64 = 86_400
    let start: Int64 = 1_800_000_000
    let policy = NoShowPolicy(absences: 2, withinDays: 30, blockDays: 60)

    func withStore(_ body: (Database, BookingStore) throws -> Void) throws {
        let path = temporaryDatabasePath()
        defer { removeDatabase(path) }
        let database = try Database(path: path)
        try body(database, BookingStore(database: database))
    }

    /// A booking at `at`, made ten days before it.
    func book(
        _ store: BookingStore, at: Int64, person: PersonDetails = mario, proof: BookingProof = .none,
        policy: NoShowPolicy? = nil, now: Int64? = nil, approval: ApprovalSettings? = nil
    ) throws -> Booking {
        let madeAt = now ?? at - 10 * day
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "anagrafe", start: at), capacity: 5, now: madeAt,
            expiresAt: madeAt + 600, clientIP: "t")
        return try store.confirm(
            holdToken: hold.value.token, person: person, slotEnd: at + 1_200, now: madeAt,
            clientIP: "t", policy: BookingPolicy(noShow: policy), proof: proof, approval: approval
        ).value
    }

    func missed(_ store: BookingStore, at: Int64, person: PersonDetails = mario, outcome: Outcome = .absent) throws {
        let booking = try book(store, at: at, person: person)
        _ = try store.recordOutcome(code: booking.code, outcome: outcome, now: at + 600, actor: "op", address: "t")
    }

    @Test func absencesBarAsTheCoreRuleSaysAndAttendedAppointmentsDoNot() throws {
        try withStore { _, store in
            let first = start
            let second = start + 20 * day
            try missed(store, at: first)
            try missed(store, at: start + 10 * day, outcome: .done)
            let now = second + day
            // One absence: booking goes on.
            _ = try book(store, at: now + 5 * day, policy: policy, now: now - 2 * day)
            try missed(store, at: second)
            let until = try #require(policy.blockedUntil(absences: [first, second], now: now))
            #expect(until == second + 60 * day)
            #expect(throws: BookingError.noShowBlocked(until: until)) {
                try book(store, at: now + 6 * day, policy: policy, now: now)
            }
            // Without the rule, or once the bar is over, the same person books.
            _ = try book(store, at: now + 7 * day, now: now)
            _ = try book(store, at: until + 3 * day, policy: policy, now: until)
            // The refusal kept nothing.
            #expect(try store.bookings(visibleTo: .certified(codiceFiscale: mario.codiceFiscale)).count == 6)
        }
    }

    @Test func absencesOfBookingsPresentedForOthersBarThePresenterAndAStrangersDoNotBarTheCertifiedPerson() throws {
        try withStore { _, store in
            var forChild = PersonDetails(
                givenName: "Lia", familyName: "Rossi", codiceFiscale: "RSSLIA15A41H501X",
                email: "", phone: "")
            forChild.presenterCodiceFiscale = mario.codiceFiscale
            forChild.presenterName = "Mario Rossi"
            try missed(store, at: start, person: forChild)
            try missed(store, at: start + day, person: forChild)
            let now = start + 2 * day
            #expect(throws: BookingError.noShowBlocked(until: start + 61 * day)) {
                try book(store, at: now + 5 * day, policy: policy, now: now)
            }
            // Absences in someone's name made without proof do not bar that person signed in with SPID/CIE.
            var certified = mario
            certified.codiceFiscale = "VRDGPP80A01H501J"
            var stranger = certified
            stranger.email = "stranger@example.it"
            try missed(store, at: start, person: stranger)
            try missed(store, at: start + day, person: stranger)
            _ = try book(store, at: now + 5 * day, person: certified, proof: .certified, policy: policy, now: now)
            #expect(throws: BookingError.noShowBlocked(until: start + 61 * day)) {
                try book(store, at: now + 6 * day, person: stranger, policy: policy, now: now)
            }
        }
    }

    @Test func theOccupancyConditionIsTheCoreStatesAndTheIndexUsesIt() throws {
        #expect(BookingState.occupyingSQLList == "('booked', 'pending', 'done', 'absent')")
        #expect(Migrations.scripts.joined().contains("WHERE state IN \(BookingState.occupyingSQLList)"))
        try withStore { database, store in
            let plan = try database.read { connection in
                var lines: [String] = []
                try connection.forEach(
                    """
                    EXPLAIN QUERY PLAN SELECT COUNT(*) FROM bookings WHERE service_id = ?1 AND slot_start = ?2
                      AND state IN \(BookingState.occupyingSQLList)
                    """, .text("anagrafe"), .int(start)
                ) { lines.append($0.text(3)) }
                return lines.joined(separator: "\n")
            }
            #expect(plan.contains("bookings_occupying"), "\(plan)")
            // Every state, as the office records it: only the occupying ones count.
            var booked: [Int64: BookingState] = [:]
            for (index, state) in BookingState.allCases.enumerated() {
                let at = start + Int64(index) * 3_600
                let booking = try book(
                    store, at: at, approval: state == .pending ? ApprovalSettings(required: true) : nil)
                #expect(booking.state == (state == .pending ? .pending : .booked))
                switch state {
                case .booked, .pending: break
                case .done, .absent:
                    let outcome: Outcome = state == .done ? .done : .absent
                    _ = try store.recordOutcome(
                        code: booking.code, outcome: outcome, now: at + 60, actor: "op", address: "t")
                case .cancelledByCitizen:
                    _ = try store.cancel(
                        code: booking.code, codiceFiscale: mario.codiceFiscale, now: at - day,
                        clientIP: "t")
                case .cancelledByOperator:
                    _ = try store.cancelByOperator(
                        code: booking.code, reason: "r", keepClosed: false, now: at - day,
                        actor: "op", address: "t")
                }
                booked[at] = state
            }
            let occupancy =
                try store.occupancy(
                    serviceID: "anagrafe", from: start, to: start + day,
                    now: start - 20 * day)["anagrafe"] ?? [:]
            for (at, state) in booked {
                #expect((occupancy[at]?.booked ?? 0) == (state.occupiesSlot ? 1 : 0), "\(state)")
            }
            // The active-booking condition, at instants before, at and after each start.
            for now in booked.keys.flatMap({ [$0 - 1, $0, $0 + 1] }) {
                let counted = try database.read { connection in
                    try connection.scalarInt(
                        "SELECT COUNT(*) FROM bookings WHERE \(BookingState.sqlActive(at: "?1"))",
                        .int(now))
                }
                let expected = booked.filter { $0.value.isActive(slotStart: $0.key, at: now) }.count
                #expect(counted == Int64(expected), "at \(now)")
            }
        }
    }

    @Test func theLiveHoldConditionAgreesWithTheCoreRuleRowByRow() throws {
        try withStore { database, store in
            let now = start
            struct Case {
                let slot: SlotRef, released: Bool, confirmed: Bool, expiresAt: Int64

                func isLive(at now: Int64) -> Bool {
                    HoldLiveness.isLive(released: released, confirmed: confirmed, expiresAt: expiresAt, at: now)
                }
            }
            var cases: [Case] = []
            for released in [false, true] {
                for confirmed in [false, true] {
                    for offset: Int64 in [-60, -1, 0, 1, 60] {
                        let slot = SlotRef(serviceID: "anagrafe", start: start + 86_400 + Int64(cases.count) * 1_200)
                        let expiresAt = now + offset
                        try database.write { connection in
                            try connection.execute(
                                """
                                INSERT INTO holds (token, service_id, slot_start, created_at, expires_at, released)
                                VALUES (?, ?, ?, ?, ?, ?)
                                """, .text(Tokens.hex128()), .text(slot.serviceID), .int(slot.start), .int(now - 600),
                                .int(expiresAt), .int(released ? 1 : 0))
                            if confirmed {
                                try connection.execute(
                                    """
                                    INSERT INTO bookings
                                        (code, service_id, slot_start, slot_end, state, created_at, updated_at)
                                    VALUES (?, ?, ?, ?, 'cancelled_by_citizen', ?, ?)
                                    """, .text(Tokens.bookingCode()), .text(slot.serviceID), .int(slot.start),
                                    .int(slot.start + 1_200), .int(now), .int(now))
                                try connection.execute(
                                    "UPDATE holds SET booking_id = ? WHERE slot_start = ?",
                                    .int(connection.lastInsertRowID), .int(slot.start))
                            }
                        }
                        cases.append(Case(slot: slot, released: released, confirmed: confirmed, expiresAt: expiresAt))
                    }
                }
            }
            let occupancy =
                try store.occupancy(
                    serviceID: nil, from: start, to: start + 2 * 86_400,
                    now: now)["anagrafe"] ?? [:]
            let ranOut = Set(try store.slotsOfHoldsExpired(between: now - 1, and: now))
            for item in cases {
                let live = item.isLive(at: now)
                #expect((occupancy[item.slot.start]?.held ?? 0) == (live ? 1 : 0), "\(item)")
                let expired = HoldLiveness.ranOut(
                    released: item.released, confirmed: item.confirmed,
                    expiresAt: item.expiresAt, between: now - 1, and: now)
                #expect(ranOut.contains(item.slot) == expired, "\(item)")
                let hold = try database.read { connection in
                    try connection.first("SELECT token FROM holds WHERE slot_start = ?", .int(item.slot.start)) {
                        $0.text(0)
                    }
                }
                #expect(try store.hold(token: hold ?? "")?.isActive(at: now) == live, "\(item)")
            }
            // The purge drops exactly the holds that are no longer live.
            let report = try store.purge(before: now, now: now, actor: "test")
            #expect(report.holdsDeleted == 0)  // every slot is after `before`
            try database.write { try $0.execute("UPDATE holds SET slot_start = slot_start - 2 * 86400") }
            let purged = try store.purge(before: now, now: now, actor: "test")
            #expect(purged.holdsDeleted == cases.filter { !$0.isLive(at: now) }.count)
        }
    }
}
