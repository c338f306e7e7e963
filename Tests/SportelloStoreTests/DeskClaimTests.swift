import Dispatch
import Foundation
import SportelloCore
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloStore

/// The desk path of `BookingStore`: a hold of a desk service claims a desk in its write transaction, the
/// booking keeps it, cancellation and expiry free it, blocks take desks, and many threads never overlap.
@Suite struct DeskClaimTests {
    let path = temporaryDatabasePath()
    let store: BookingStore
    let desk1 = DeskID(office: "anagrafe", name: "Sportello 1")
    let desk2 = DeskID(office: "anagrafe", name: "Sportello 2")
    /// 09:00 of some working day, as far as the store is concerned.
    let nine: Int64 = 1_800_000_000

    init() throws { store = BookingStore(database: try Database(path: path)) }

    func span(_ fromMinute: Int64, _ minutes: Int64) -> DeskInterval {
        DeskInterval(start: nine + fromMinute * 60, end: nine + (fromMinute + minutes) * 60)!
    }

    /// What each service of the scene may claim: carta-identita and residenza on both desks, certificati on
    /// the second only; every claim knows every service's desks, for blocks.
    func claim(_ service: String, _ interval: DeskInterval) -> DeskClaim {
        let desks = ["certificati": [desk2]][service] ?? [desk1, desk2]
        return DeskClaim(
            interval: interval, desks: desks,
            blockDesks: ["carta-identita": [desk1, desk2], "residenza": [desk1, desk2], "certificati": [desk2]])
    }

    func hold(_ service: String, _ interval: DeskInterval, at time: Int64 = now) throws -> Hold {
        try store.placeHold(
            slot: SlotRef(serviceID: service, start: interval.start), capacity: 1, now: time, expiresAt: time + 600,
            clientIP: "10.0.0.1", desk: claim(service, interval)
        ).value
    }

    func book(_ service: String, _ interval: DeskInterval, at time: Int64 = now) throws -> Booking {
        let held = try hold(service, interval, at: time)
        return try store.confirm(
            holdToken: held.token, person: mario, slotEnd: interval.end, now: time, clientIP: "10.0.0.1"
        ).value
    }

    @Test func theBookingKeepsItsDeskAndCancellationFreesIt() throws {
        defer { removeDatabase(path) }
        let first = try book("residenza", span(0, 40))
        #expect(first.desk == desk1.key && first.deskName == "Sportello 1" && first.slotEnd == span(0, 40).end)
        let second = try book("carta-identita", span(10, 20))
        #expect(second.deskName == "Sportello 2")
        // The capacity argument is not what decides for a desk service: both desks are busy at 09:20.
        #expect(throws: BookingError.slotFull) { try hold("certificati", span(20, 30)) }
        #expect(throws: BookingError.slotFull) { try hold("carta-identita", span(25, 20)) }
        // The stored booking reads back with its desk.
        #expect(try store.booking(code: second.code, codiceFiscale: mario.codiceFiscale)?.deskName == "Sportello 2")
        // Cancelling frees the interval at once.
        _ = try store.cancel(code: second.code, codiceFiscale: mario.codiceFiscale, now: now, clientIP: "10.0.0.1")
        #expect(try hold("certificati", span(20, 30)).slot.start == span(20, 30).start)
        // An expired hold frees its desk by itself.
        #expect(throws: BookingError.slotFull) { try hold("certificati", span(20, 30)) }
        #expect(try hold("certificati", span(20, 30), at: now + 600).slot.start == span(20, 30).start)
        // A service without desks still counts its own capacity, whatever is on the desks.
        let plain = try store.placeHold(
            slot: SlotRef(serviceID: "tributi", start: nine), capacity: 1, now: now, expiresAt: now + 600,
            clientIP: "10.0.0.1")
        #expect(plain.change.slots == [SlotRef(serviceID: "tributi", start: nine)])
        #expect(throws: BookingError.slotFull) {
            try store.placeHold(
                slot: SlotRef(serviceID: "tributi", start: nine), capacity: 1, now: now, expiresAt: now + 600,
                clientIP: "10.0.0.1")
        }
    }

    @Test func aMovedBookingDoesNotCollideWithItselfAndBlocksTakeDesks() throws {
        defer { removeDatabase(path) }
        let booked = try book("residenza", span(0, 40))
        _ = try book("residenza", span(0, 40))
        // Both desks are taken; the first booking may still claim a later overlapping interval for itself.
        let moved = try store.database.write { connection in
            try DeskBookings.claim(
                connection, claim("residenza", span(20, 40)), now: now, excludingBooking: booked.id)
        }
        #expect(moved == desk1)
        #expect(throws: BookingError.slotFull) {
            try store.database.write { try DeskBookings.claim($0, claim("residenza", span(20, 40)), now: now) }
        }
        // A block of one desk of certificati (its only one, Sportello 2) keeps identity cards off that desk too.
        try store.database.write { connection in
            try connection.execute(
                "INSERT INTO blocks (service_id, starts_at, ends_at, desks, created_at) VALUES (?, ?, ?, 1, 0)",
                .text("certificati"), .int(nine + 3_600), .int(nine + 7_200))
        }
        #expect(try hold("carta-identita", span(60, 20)).slot.start == span(60, 20).start)
        #expect(throws: BookingError.slotFull) { try hold("carta-identita", span(60, 20)) }
        #expect(throws: BookingError.slotFull) { try hold("certificati", span(100, 10)) }
        #expect(try hold("certificati", span(120, 10)).slot.start == span(120, 10).start)
    }

    /// Moves `booking` to `interval` as the office does, with its service's desk claim.
    func move(_ booking: Booking, _ interval: DeskInterval) throws -> Booking {
        try store.moveByOperator(
            code: booking.code, to: interval.start, capacity: 1, desk: claim(booking.slot.serviceID, interval),
            now: now, actor: "operator:1", address: "10.0.0.1"
        ).value
    }

    @Test func aMoveClaimsADeskOverItsNewIntervalAndRecordsIt() throws {
        defer { removeDatabase(path) }
        let residence = try book("residenza", span(0, 40))
        let card = try book("carta-identita", span(0, 20))
        #expect(residence.deskName == "Sportello 1" && card.deskName == "Sportello 2")
        // Later on its own desk: the booking's own interval does not stand in its way.
        let later = try move(card, span(20, 20))
        #expect(later.deskName == "Sportello 2" && later.slot.start == span(20, 20).start)
        #expect(later.slotEnd == span(20, 20).end && later.sequence == 1)
        let residenceLater = try move(residence, span(30, 40))
        #expect(residenceLater.deskName == "Sportello 1")
        // Sportello 1 is free at 09:10 now: the move takes it, and the booking records its new desk.
        let earlier = try move(later, span(10, 20))
        #expect(earlier.deskName == "Sportello 1")
        // Both desks busy at 09:55 (residence 09:30–10:10 on Sportello 1, another 09:50–10:30 on Sportello 2):
        // refused, and the booking keeps its time and desk.
        #expect(try book("residenza", span(50, 40)).deskName == "Sportello 2")
        #expect(throws: BookingError.slotFull) { try move(earlier, span(55, 20)) }
        let kept = try store.booking(code: card.code, codiceFiscale: mario.codiceFiscale)
        #expect(kept?.slot.start == span(10, 20).start && kept?.deskName == "Sportello 1")
    }

    /// Every live row on a desk: occupying bookings and live holds.
    func liveRows() throws -> [(String, Int64, Int64)] {
        try store.database.read { connection in
            var rows: [(String, Int64, Int64)] = []
            try connection.forEach(
                """
                SELECT desk, slot_start, slot_end FROM bookings WHERE state IN \(BookingState.occupyingSQLList)
                UNION ALL
                SELECT desk, slot_start, slot_end FROM holds WHERE \(HoldLiveness.sqlLive(at: "?1"))
                """, .int(now)
            ) { rows.append(($0.optionalText(0) ?? "", $0.int(1), $0.int(2))) }
            return rows
        }
    }

    /// Threads racing through `placeHold` and `confirm`: one interval for all; overlapping lengths; the three
    /// services mixed. Never two rows overlapping on a desk, never more running rows than desks.
    @Test func concurrentHoldsAndConfirmationsNeverOverlapOnADesk() throws {
        defer { removeDatabase(path) }
        let services = ["residenza", "carta-identita", "certificati"]
        let lengths: [Int64] = [40, 20, 30]
        let waves: [[(String, DeskInterval)]] = [
            (0..<32).map { _ in ("carta-identita", span(0, 20)) },
            (0..<32).map { index in (services[index % 3], span(120 + Int64(index % 5) * 10, lengths[index % 3])) },
            (0..<48).map { index in (services[index % 3], span(300 + Int64((index * 7) % 18) * 10, lengths[index % 3]))
            },
        ]
        let store = self.store
        let claims = waves.map { $0.map { claim($0.0, $0.1) } }
        for (wave, requests) in waves.enumerated() {
            let placed = Mutex(0)
            let other = Mutex<[String]>([])
            ThreadRace.run(requests.count) { index in
                let (service, interval) = requests[index]
                do {
                    let held = try store.placeHold(
                        slot: SlotRef(serviceID: service, start: interval.start), capacity: 1, now: now,
                        expiresAt: now + 600, clientIP: "10.0.0.\(index)", desk: claims[wave][index])
                    if index % 2 == 0 {
                        _ = try store.confirm(
                            holdToken: held.value.token, person: mario, slotEnd: interval.end, now: now,
                            clientIP: "10.0.0.\(index)")
                    }
                    placed.withLock { $0 += 1 }
                } catch BookingError.slotFull {
                } catch {
                    other.withLock { $0.append("\(error)") }
                }
            }
            #expect(other.withLock { $0 }.isEmpty)
            if wave == 0 { #expect(placed.withLock { $0 } == 2) }
        }
        let rows = try liveRows()
        #expect(rows.count >= 2 + 2 + 2)
        for (index, row) in rows.enumerated() {
            #expect(!row.0.isEmpty)
            for other in rows[(index + 1)...] where other.0 == row.0 {
                #expect(!(row.1 < other.2 && other.1 < row.2), "\(row) overlaps \(other)")
            }
            #expect(rows.filter { $0.1 <= row.1 && row.1 < $0.2 }.count <= 2)
        }
    }
}
