import Foundation
import SportelloCore
import SportelloStore
import Testing

@testable import SportelloNotify

/// A booking the worker cannot read is a failed attempt, tried again later: it used to read as "no booking",
/// so a reminder was marked sent without being sent.
@Suite struct UnreadableBookingTests {
    let now = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 25)!, minutes: 8 * 60)!
    let slot = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 26)!, minutes: 9 * 60 + 10)!

    @Test func aReminderWhoseBookingCannotBeReadIsNotDropped() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail")
        let renderer = try demoRenderer { $0.sendmailPath = sendmail }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let store = BookingStore(database: database)
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: slot), capacity: 2, now: now,
            expiresAt: now + 600, clientIP: "t"
        ).value
        let person = PersonDetails(
            givenName: "Ada", familyName: "Neri", codiceFiscale: "RSSMRA85T10A562S",
            email: "ada@example.it", phone: "")
        let booking = try store.confirm(
            holdToken: hold.token, person: person, slotEnd: slot + 1_200, now: now,
            clientIP: "t"
        ).value
        try database.write { connection in
            try Outbox.enqueue(
                connection, kind: .reminder, channel: .email, recipient: "ada@example.it", bookingID: booking.id,
                language: "it", at: now)
            try connection.execute("ALTER TABLE bookings RENAME TO bookings_gone")
        }
        let report = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool").deliverDue(
            clock: { now })
        #expect(report.delivered == 0 && report.failed == 1 && report.dead == 0)
        let reminder = try #require(try Outbox(database: database).list().first { $0.kind == .reminder })
        #expect(reminder.sentAt == nil && reminder.attempts == 1, "\(reminder)")
        #expect((reminder.lastError ?? "").contains("no such table: bookings"), "\(reminder.lastError ?? "")")
        #expect(sandbox.receivedFiles().isEmpty)
    }
}
