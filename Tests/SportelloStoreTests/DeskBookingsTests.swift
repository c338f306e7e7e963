import Dispatch
import Foundation
import SportelloCore
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloStore

@Suite struct DeskBookingsTests {
    let path = temporaryDatabasePath()
    let desks: DeskBookings
    let desk1 = DeskID(office: "anagrafe", name: "Sportello 1")
    let desk2 = DeskID(office: "anagrafe", name: "Sportello 2")
    /// 09:00 of some working day, as far as the store is concerned (it only compares instants).
    let nine: Int64 = 1_800_000_000

    init() throws { desks = DeskBookings(database: try Database(path: path)) }

    func span(_ fromMinute: Int64, _ minutes: Int64) -> DeskInterval {
        DeskInterval(start: nine + fromMinute * 60, end: nine + (fromMinute + minutes) * 60)!
    }

    func hold(
        _ service: String, _ interval: DeskInterval, on desks: [DeskID]? = nil,
        at time: Int64 = now
    ) throws -> DeskHold {
        try self.desks.placeHold(
            serviceID: service, interval: interval, desks: desks ?? [desk1, desk2], now: time,
            expiresAt: time + 600, clientIP: "10.0.0.1")
    }

    /// Every live desk row (occupying bookings and live holds) by desk.
    func liveRows(at time: Int64 = now) throws -> [String: [DeskInterval]] {
        try desks.database.read { connection in
            var rows: [String: [DeskInterval]] = [:]
            try connection.forEach(
                """
                SELECT desk, slot_start, slot_end FROM holds
                WHERE desk IS NOT NULL AND released = 0 AND booking_id IS NULL AND expires_at > ?1
                UNION ALL
                SELECT desk, slot_start, slot_end FROM bookings
                WHERE desk IS NOT NULL AND state IN ('booked', 'done', 'absent')
                """, .int(time)
            ) { row in
                if let interval = DeskInterval(start: row.int(1), end: row.int(2)) {
                    rows[row.text(0), default: []].append(interval)
                }
            }
            return rows
        }
    }

    func expectNoOverlap(_ rows: [String: [DeskInterval]]) {
        for (desk, intervals) in rows {
            for (index, one) in intervals.enumerated() {
                #expect(!intervals[(index + 1)...].contains { $0.overlaps(one) }, "\(desk): \(intervals)")
            }
        }
    }

    @Test func theSceneFromTheIssueAndWhatFreesADesk() throws {
        defer { removeDatabase(path) }
        #expect(try hold("residenza", span(0, 40)).desk == desk1)
        let second = try hold("carta-identita", span(10, 20))
        #expect(second.desk == desk2 && second.interval == span(10, 20))
        #expect(throws: BookingError.slotFull) { try hold("certificati", span(20, 30)) }
        // Adjacent to both: fits on the first desk.
        #expect(try hold("carta-identita", span(40, 20)).desk == desk1)
        // The hold carries its desk and end; the audit says which desk.
        let stored = try desks.database.read { connection in
            try connection.first(
                "SELECT desk, slot_end, service_id FROM holds WHERE token = ?",
                .text(second.hold.token)
            ) {
                [$0.text(0), String($0.int(1)), $0.text(2)]
            }
        }
        #expect(stored == ["anagrafe/Sportello 2", String(nine + 30 * 60), "carta-identita"])
        let audited = try desks.database.read {
            try $0.scalarInt("SELECT COUNT(*) FROM audit WHERE details = 'desk anagrafe/Sportello 2'")
        }
        #expect(audited == 1)
        // A released hold frees its desk at once, an expired one by itself.
        try desks.database.write {
            try $0.execute("UPDATE holds SET released = 1 WHERE token = ?", .text(second.hold.token))
        }
        #expect(try hold("certificati", span(20, 30)).desk == desk2)
        #expect(throws: BookingError.slotFull) { try hold("certificati", span(20, 30)) }
        #expect(try hold("certificati", span(20, 30), at: now + 600).desk == desk1)
        // What the pages will read: every busy interval touching a range.
        let busy = try desks.occupied(desks: [desk1, desk2], overlapping: span(0, 60), now: now + 600)
        #expect(busy[desk1] == [span(20, 30)] && busy[desk2] == nil)
    }

    @Test func bookingsOccupyTheirDeskUnlessCancelledAndOtherDesksDoNotCount() throws {
        defer { removeDatabase(path) }
        try desks.database.write { connection in
            for (code, desk, state) in [("A", desk1.key, "booked"), ("B", desk2.key, "cancelled_by_citizen")] {
                try connection.execute(
                    """
                    INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, updated_at, desk)
                    VALUES (?, 'residenza', ?, ?, ?, 0, 0, ?)
                    """, .text(code), .int(nine), .int(nine + 2_400), .text(state), .text(desk))
            }
            // A booking of a service without desks, and a hold on another office's desk of the same name.
            try connection.execute(
                """
                INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, updated_at)
                VALUES ('C', 'tributi', ?, ?, 'booked', 0, 0)
                """, .int(nine), .int(nine + 2_400))
        }
        _ = try hold("urp", span(0, 40), on: [DeskID(office: "urp", name: "Sportello 2")])
        #expect(try hold("carta-identita", span(0, 20)).desk == desk2)
        #expect(throws: BookingError.slotFull) { try hold("carta-identita", span(10, 20)) }
        #expect(try hold("carta-identita", span(40, 20)).desk == desk1)
        #expect(throws: BookingError.slotFull) { try hold("carta-identita", span(0, 20), on: []) }
    }

    /// The store decides exactly as `DeskAllocation` does on the same history, request after request.
    @Test func sequentialRequestsMatchTheCoreRule() throws {
        defer { removeDatabase(path) }
        var generator = SplitMix64(state: 18)
        var model: [DeskID: [DeskInterval]] = [:]
        let orders = [[desk1, desk2], [desk2, desk1], [desk2]]
        for _ in 0..<150 {
            let service = Int.random(in: 0..<3, using: &generator)
            let minutes: Int64 = [40, 20, 30][service]
            let request = span(Int64.random(in: 0..<24, using: &generator) * 10, minutes)
            let expected = DeskAllocation.assign(request, desks: orders[service], occupied: model)
            do {
                let placed = try hold("service-\(service)", request, on: orders[service])
                #expect(placed.desk == expected)
                model[placed.desk, default: []].append(request)
            } catch BookingError.slotFull {
                #expect(expected == nil)
            }
        }
        expectNoOverlap(try liveRows())
        let modelCounts = Dictionary(uniqueKeysWithValues: model.map { ($0.key.key, $0.value.count) })
        #expect(try liveRows().mapValues(\.count) == modelCounts)
    }

    /// Sixteen threads at once, three services of different lengths on two shared desks. Every request of
    /// the first wave contains 09:25, so exactly two (one per desk) can succeed whatever the order; the
    /// second wave asks four times for each of four back-to-back intervals, so exactly eight succeed.
    @Test func concurrentMixedLengthsNeverDoubleBookADesk() throws {
        defer { removeDatabase(path) }
        let lengths: [Int64] = [40, 20, 30]
        let waves: [[DeskInterval]] = [
            (0..<16).map { index in
                let length = lengths[index % 3]
                return span(25 - Int64(index * 7) % length, length)
            },
            (0..<16).map { index in [span(0, 40), span(40, 20), span(60, 30), span(90, 20)][index % 4] }
                .map { DeskInterval(start: $0.start + 4 * 3_600, end: $0.end + 4 * 3_600)! },
        ]
        for (wave, expected) in zip(waves, [2, 8]) {
            let outcomes = Mutex<(placed: Int, full: Int, other: [String])>((0, 0, []))
            ThreadRace.run(wave.count) { index in
                let order = index % 2 == 0 ? [desk1, desk2] : [desk2, desk1]
                do {
                    _ = try desks.placeHold(
                        serviceID: "service-\(index % 3)", interval: wave[index], desks: order,
                        now: now, expiresAt: now + 600, clientIP: "10.0.0.\(index)")
                    outcomes.withLock { $0.placed += 1 }
                } catch BookingError.slotFull {
                    outcomes.withLock { $0.full += 1 }
                } catch {
                    outcomes.withLock { $0.other.append("\(error)") }
                }
            }
            let result = outcomes.withLock { $0 }
            #expect(result.placed == expected, "\(result)")
            #expect(result.full == wave.count - expected && result.other.isEmpty, "\(result)")
        }
        let rows = try liveRows()
        expectNoOverlap(rows)
        #expect(rows.values.reduce(0) { $0 + $1.count } == 10)
    }
}
