import Foundation
import SportelloCore
import SportelloSite
import SportelloTesting
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// The notifier with `notifications.smtp`: a real booking's mail goes to the SMTP server once, a 4xx takes the
/// outbox's retry path, a 5xx its dead path with the server's words, a dropped connection is retried with the same
/// Message-ID.
@Suite(.serialized) struct SMTPNotifierTests {
    let now = NotifyTests().now

    /// A notifier speaking to `sink`, and a database with one confirmed booking (its confirmation mail queued).
    func setUp(_ sandbox: Sandbox, _ sink: SMTPSink) throws -> Notifier {
        let renderer = try demoRenderer {
            $0.smtp = SMTPServerAddress(sink.address)
            $0.sendmailPath = "/nonexistent/sendmail"
            $0.reminderHoursBefore = 0
            $0.maxAttempts = 5
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try NotifyTests().book(database, settings: renderer.catalogue.configuration.notifications, notes: nil)
        return Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool", deliveryTimeout: 10)
    }

    @Test func aConfirmationGoesOverSMTPOnceWithItsEnvelope() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let notifier = try setUp(sandbox, sink)
        #expect(notifier.deliverDue(clock: { now }).delivered == 1)
        #expect(notifier.deliverDue(clock: { now + 3_600 }) == DeliveryReport())
        let row = try #require(try notifier.outbox.list().first)
        #expect(row.sentAt != nil && !row.dead)
        #expect(sink.received.count == 1 && sink.received.values.allSatisfy { $0 == 1 })
        let message = try #require(sink.messages.first)
        #expect(message.contains("niccolo@example.it") && message.contains("Message-ID: <"))
        #expect(sink.commandLog.contains("MAIL") && sink.commandLog.contains("RCPT"))
        // No sendmail ran: its path does not exist, and nothing failed.
        #expect(row.lastError == nil)
    }

    @Test func aTemporaryRefusalTakesTheRetryPathAndAPermanentOneTheDeadPath() throws {
        let replies = Locked<[String]>(["451 4.7.1 greylisted, try again later"])
        let sink = try SMTPSink { _, _ in
            replies.withLock { list in list.isEmpty ? .accept : .reply(list.removeFirst()) }
        }
        defer { sink.stop() }
        let sandbox = try Sandbox()
        let notifier = try setUp(sandbox, sink)
        #expect(notifier.deliverDue(clock: { now }).failed == 1)
        let waiting = try #require(try notifier.outbox.list().first)
        #expect(!waiting.dead && waiting.lastError?.contains("451 4.7.1 greylisted") == true)
        #expect(notifier.deliverDue(clock: { now + 61 }).delivered == 1)
        #expect(sink.received.values.reduce(0, +) == 1)

        let refusing = try SMTPSink { _, _ in .reply("550 5.1.1 <niccolo@example.it>: no such user") }
        defer { refusing.stop() }
        let other = try Sandbox()
        let refused = try setUp(other, refusing)
        #expect(refused.deliverDue(clock: { now }).dead == 1)
        let dead = try #require(try refused.outbox.list().first)
        #expect(dead.dead && dead.attempts == 1 && dead.lastError?.contains("550 5.1.1") == true)
    }

    @Test func aConnectionDroppedAfterTheFinalDotIsRetriedWithTheSameMessageID() throws {
        let sink = try SMTPSink { _, seen in seen == 0 ? .dropAfterDot : .accept }
        defer { sink.stop() }
        let sandbox = try Sandbox()
        let notifier = try setUp(sandbox, sink)
        #expect(notifier.deliverDue(clock: { now }).failed == 1)
        #expect(try notifier.outbox.list().first?.lastError?.contains("may or may not") == true)
        #expect(notifier.deliverDue(clock: { now + 61 }).delivered == 1)
        // Two copies of one message: the one uncertain case, recognisable by its Message-ID.
        #expect(sink.received.count == 1 && sink.received.values.first == 2)
    }
}
