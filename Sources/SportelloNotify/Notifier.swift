import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// Delivers the outbox: finishes what a dead worker left, queues the day-before reminders, then claims and
/// delivers every due message, one at a time. Used by the worker inside `serve` and by `sportello deliver`.
public struct Notifier: Sendable {
    /// The queue of messages to deliver.
    public let outbox: Outbox
    /// The bookings the messages are about, read when composing them.
    public let store: BookingStore
    /// Writes each message's text from the templates.
    public let composer: Composer
    /// Hands each message to sendmail or the SMS command.
    public let courier: Courier
    /// One-time secrets (such as a new password) kept out of the outbox until their message is sent.
    public let secrets: SecretFiles
    /// The threads that hand messages over, shared by the passes (and by copies of this value).
    let handOverPool = HandOverPool(size: Notifier.handOvers)
    /// The writer's rate and the busy spell it shows, kept across passes (and copies of this value): a pass that
    /// starts in a rush knows it before its first claim. Only the delivery thread uses it.
    let pace: Locked<(rate: WriteRate, pacing: HandOverPacing)>
    /// Whether the hand-over threads run at the background priority (`HandOverPool.yieldsToAnswers`); `serve`'s
    /// delivery thread sets it, `sportello deliver` and tests that deliver on their own thread leave it off.
    public var handOversYieldToAnswers: Bool {
        get { handOverPool.yieldsToAnswers }
        nonmutating set { handOverPool.yieldsToAnswers = newValue }
    }

    /// `deliveryTimeout`: how long one pass waits for sendmail (or the SMS command) before moving on; a program
    /// still running then is left to finish, and its message stays claimed until it does.
    public init(database: Database, renderer: PageRenderer, spool: String, deliveryTimeout: TimeInterval = 60) {
        outbox = Outbox(database: database)
        store = BookingStore(database: database)
        composer = Composer(renderer: renderer)
        courier = Courier(spool: spool, timeout: deliveryTimeout)
        secrets = SecretFiles(database: database)
        pace = Locked((WriteRate(database: database), HandOverPacing()))
    }

    var settings: NotificationSettings { composer.settings }
    var lease: Int64 { Int64(courier.timeout) * 2 + 30 }
    static let worker = getpid()

    /// One pass. `clock` is read for each step so a long pass keeps honest times. When `keepGoing` turns false
    /// (the server is stopping) the pass takes no further message and stops waiting for a running program,
    /// which is left to finish: the next pass settles it from the spool.
    @discardableResult
    public func deliverDue(clock: () -> Int64, limit: Int = 500, keepGoing: () -> Bool = { true }) -> DeliveryReport {
        var report = DeliveryReport()
        recover(clock(), &report)
        if let pending = logged("pending secret files", { try outbox.pendingSecretFiles() }) {
            secrets.sweep(referenced: pending, now: clock())
        }
        if settings.reminderHoursBefore > 0 {
            report.remindersQueued =
                logged(
                    "queue reminders",
                    {
                        try outbox.queueReminders(
                            now: clock(), hoursBefore: settings.reminderHoursBefore, email: settings.email,
                            sms: settings.sms)
                    }) ?? 0
        }
        // Up to `handOvers` messages at once, each on a thread of the pool: a hand-over mostly waits for a program,
        // so one at a time left mail far behind a rush's bookings. Each message is still claimed by exactly one
        // thread, and the outbox changes of the threads share group commits.
        deliverClaimed(clock: clock, limit: limit, keepGoing: keepGoing, &report)
        return report
    }

    /// Hand-overs running at once.
    static let handOvers = 8

    /// Messages claimed in one transaction, ahead of the free hand-over threads: under a rush every commit waits
    /// behind the bookings' batches, so a claim per free thread held mail to a few messages per commit.
    static let claimBatch = 64

    /// At most `handOvers` hand-overs at once (on `handOverPool`): a free thread takes the next claimed message at
    /// once, so one slow program delays only its own message (rounds that waited for their slowest hand-over did not).
    /// Messages are claimed `claimBatch` at a time, and each claim also marks sent what was delivered since the
    /// previous one. `keepGoing` is only called on this thread; the hand-over threads read its last answer.
    private func deliverClaimed(clock: () -> Int64, limit: Int, keepGoing: () -> Bool, _ report: inout DeliveryReport) {
        var remaining = limit
        var claimed: [OutboxMessage] = []
        var next = 0
        var now = clock()
        let free = DispatchSemaphore(value: Self.handOvers)
        let reports = Locked<[DeliveryReport]>([])
        // Messages the program accepted, not yet marked sent: marked with the next claim (one commit), so a
        // hand-over thread is free as soon as its program ends instead of after a durable write of its own.
        let delivered = Locked<[OutboxMessage]>([])
        let going = Locked(true)
        let group = DispatchGroup()
        func stillGoing() -> Bool {
            if going.withLock({ $0 }) && !keepGoing() { going.withLock { $0 = false } }
            return going.withLock { $0 }
        }
        // Paced only where answers come first (`serve`) and mail goes through a program: a pass of `sportello
        // deliver` or a test runs them all, and over SMTP a hand-over costs the courier little (one connection).
        let running = Locked(0)
        // Signalled as a hand-over ends while the loop waits for one (`waitingForEnd`): a paced pass starts the
        // next one then, not at its next poll; signals nobody waits for are not piled up.
        let ended = DispatchSemaphore(value: 0)
        let waitingForEnd = Locked(false)
        let pacing = handOversYieldToAnswers && settings.smtp == nil
        if pacing && pace.withLock({ $0.rate.isStale }) {
            // The rate was last read long ago (the worker slept): a fresh window first, or a pass woken by a
            // rush's first confirmations would count the quiet before it and start every hand-over at once.
            pace.withLock { _ = $0.rate.isBusy() }
            Thread.sleep(forTimeInterval: WriteRate.window)
        }
        func paced() -> Bool {
            guard pacing else { return false }
            let allowed = pace.withLock { state in
                state.pacing.allowed(
                    of: Self.handOvers, busy: state.rate.isBusy(), now: ProcessInfo.processInfo.systemUptime)
            }
            return running.withLock({ $0 }) >= allowed
        }
        while stillGoing() {
            guard free.wait(timeout: .now() + .milliseconds(50)) == .success else { continue }
            // Before the claim: messages held back stay unclaimed (no claim's commit in the rush's way either).
            while paced() && stillGoing() {
                waitingForEnd.withLock { $0 = true }
                _ = ended.wait(timeout: .now() + .milliseconds(10))
            }
            guard stillGoing() else {
                free.signal()
                break
            }
            // Slow programs: a claim waiting this long is given back and taken again rather than started near the
            // end of its lease, which another worker could then take over while this one hands it over.
            if next < claimed.count && clock() - now > lease / 2 {
                for message in claimed[next...] { logged("release claim") { try outbox.release(id: message.id) } }
                remaining += claimed.count - next
                next = claimed.count
            }
            if next == claimed.count {
                guard remaining > 0 else {
                    free.signal()
                    break
                }
                let sent = delivered.withLock { list in
                    defer { list.removeAll() }
                    return list
                }
                now = clock()
                let claim = logged("claim") {
                    try outbox.claimDue(
                        now: now, lease: lease, worker: Self.worker, limit: min(Self.claimBatch, remaining),
                        markingSent: sent.map(\.id))
                }
                // Marked (or, should the commit fail, left with their evidence for the next pass to settle).
                if claim != nil { sent.forEach(forgetDelivered) }
                claimed = claim ?? []
                next = 0
                remaining -= claimed.count
                if claimed.isEmpty {
                    free.signal()
                    break
                }
            }
            let message = claimed[next]
            next += 1
            group.enter()
            running.withLock { $0 += 1 }
            handOverPool.run { [self, now] in
                var own = DeliveryReport()
                deliver(
                    message, now, &own, keepGoing: { going.withLock { $0 } },
                    onDelivered: { accepted in delivered.withLock { $0.append(accepted) } })
                reports.withLock { $0.append(own) }
                running.withLock { $0 -= 1 }
                if waitingForEnd.withLock({ waiting in
                    defer { waiting = false }
                    return waiting
                }) {
                    ended.signal()
                }
                free.signal()
                group.leave()
            }
        }
        // Claimed but not started (the server is stopping): free at once, no attempt counted.
        for message in claimed[next...] { logged("release claim") { try outbox.release(id: message.id) } }
        while group.wait(timeout: .now() + .milliseconds(50)) == .timedOut { _ = stillGoing() }
        let sent = delivered.withLock { $0 }
        if logged("mark sent", { try outbox.markSent(ids: sent.map(\.id), now: clock()) }) != nil {
            sent.forEach(forgetDelivered)
        }
        for own in reports.withLock({ $0 }) {
            report.delivered += own.delivered
            report.failed += own.failed
            report.dead += own.dead
        }
    }

    /// Claims left by a worker that is gone: a status the spool recorded settles the message without sending
    /// it again; a hand-over still running is waited for; one never handed over is released.
    func recover(_ now: Int64, _ report: inout DeliveryReport) {
        guard let claims = logged("unfinished claims", { try outbox.unfinishedClaims() }) else { return }
        // Journals no courier holds and no claim needs are dropped (each pass: a listing of the spool).
        defer { courier.sweepJournals(keeping: claims) }
        // The SMTP journals, read once for all the claims.
        let journals = claims.isEmpty ? [:] : SMTPJournal.entries(in: courier.spool)
        for message in claims {
            let claimerAlive = message.claimedBy.map { $0 != Self.worker && Courier.isAlive($0) } ?? false
            let expired = (message.claimedUntil ?? 0) < now
            switch courier.outcome(of: message, journals: journals) {
            case .delivered:
                recordSent(message, now)
                report.recovered += 1
            case .failed(let error):
                let refusal = Self.refusal(message, error)
                let dead = logged("mark failed") {
                    try outbox.markFailed(
                        id: message.id, now: now, error: refusal ?? error,
                        maxAttempts: refusal == nil ? settings.maxAttempts : 1)
                }
                if dead == true {
                    report.dead += 1
                    forgetSecret(message)
                }
                report.recovered += 1
            case .inFlight:
                logged("extend claim") { try outbox.extendClaim(id: message.id, until: now + lease) }
            case .notHandedOver:
                if !claimerAlive || expired {
                    logged("release claim") { try outbox.release(id: message.id) }
                    report.recovered += 1
                }
            }
        }
    }

    /// Marks a delivered message sent, then drops the spool's evidence of it; if the mark fails (or this
    /// process dies first) the evidence stays and the next pass settles the message without sending it again.
    func recordSent(_ message: OutboxMessage, _ now: Int64) {
        guard logged("mark sent", { try outbox.markSent(id: message.id, now: now) }) != nil else { return }
        forgetDelivered(message)
    }

    /// Drops the spool's evidence and the secret of a message whose "sent" mark has committed.
    func forgetDelivered(_ message: OutboxMessage) {
        // Mail spoken over SMTP left no spool files (its journal is swept as a whole).
        if message.channel != .email || settings.smtp == nil { courier.forget(id: message.id) }
        forgetSecret(message)
    }

    /// The message no longer needs its password: overwrite and remove the file that held it.
    func forgetSecret(_ message: OutboxMessage) {
        if let name = message.payload[SecretFiles.payloadKey] { secrets.remove(name) }
        // A message queued by an earlier version kept the password in its row, now wiped: empty the log too.
        if message.payload["password"] != nil { logged("checkpoint") { try outbox.database.checkpoint() } }
    }

    /// `body`'s result, or nil when the outbox failed. Every step here is tried again at the next pass (a claim
    /// runs out, a mark is repeated), so a failure must not stop the worker; it is logged so it is not unseen.
    @discardableResult
    private func logged<T>(_ step: String, _ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch {
            Log.error("outbox_step_failed", ["step": .text(step), "error": .text("\(error)")])
            return nil
        }
    }

    /// Delivers one claimed message. `onDelivered`, when given, takes a delivered message to be marked sent later
    /// (with other marks, in one commit); without it the mark is written here.
    func deliver(
        _ message: OutboxMessage, _ now: Int64, _ report: inout DeliveryReport, keepGoing: () -> Bool = { true },
        onDelivered: ((OutboxMessage) -> Void)? = nil
    ) {
        func fail(_ error: String, attempts: Int? = nil) {
            let dead =
                logged("mark failed") {
                    try outbox.markFailed(
                        id: message.id, now: now, error: error, maxAttempts: attempts ?? settings.maxAttempts)
                } ?? false
            if dead {
                report.dead += 1
                forgetSecret(message)
            } else {
                report.failed += 1
            }
            // The program's own words may quote the address: the log names the message, never the person.
            let words =
                message.recipient.isEmpty
                ? error : error.replacingOccurrences(of: message.recipient, with: "[recipient]")
            Log.warning(
                "notification_failed",
                [
                    "id": .int(message.id), "kind": .text(message.kind.rawValue),
                    "channel": .text(message.channel.rawValue),
                    "attempt": .int(Int64(message.attempts + 1)), "dead": .text(dead ? "yes" : "no"),
                    "error": .text(String(words.prefix(300))),
                ])
        }
        var message = message
        if let name = message.payload[SecretFiles.payloadKey] {
            guard let password = secrets.read(name) else {
                return fail(
                    "the password of this message is gone: the citizen can ask for new credentials", attempts: 1)
            }
            message = message.adding(["password": password])
        }
        let booking: Booking?
        // A booking that cannot be read is a failed attempt (tried again later), never a booking gone: a reminder
        // would be dropped and a confirmation would fail for good.
        do { booking = try message.bookingID.flatMap { try store.booking(id: $0) } } catch {
            return fail("\(error)")
        }
        // A reminder for an appointment cancelled meanwhile has nothing to say. Should marking it fail, the claim
        // runs out and the next pass decides the same.
        if message.kind == .reminder, booking?.state != .booked {
            logged("mark sent") { try outbox.markSent(id: message.id, now: now) }
            return
        }
        let body: [UInt8]
        let command: [String]
        do {
            switch message.channel {
            case .email:
                guard settings.email else { return fail("mail is turned off in the configuration", attempts: 1) }
                body = try composer.mail(for: message, booking: booking, now: now).bytes
                if let server = settings.smtp {
                    command =
                        SMTPHandOver(
                            server: server, attempt: message.attempts, sender: settings.from,
                            recipient: message.recipient
                        ).command
                } else {
                    command = [settings.sendmailPath, "-t", "-i"]
                }
            case .sms:
                guard settings.sms, !settings.smsCommand.isEmpty else {
                    return fail("SMS is turned off in the configuration", attempts: 1)
                }
                // Also for what is queued without the limits (reminders): the comune pays for every SMS.
                guard composer.renderer.catalogue.configuration.limits.smsAllowed(to: message.recipient) else {
                    return fail(
                        "SMS not sent: the number is not a mobile of a country in limits.smsCountryCodes", attempts: 1)
                }
                body = Array(try composer.sms(for: message, booking: booking).utf8)
                command = settings.smsCommand + [message.recipient]
            case .io, .webhook:
                switch httpRequest(message, booking: booking, now: now) {
                case .success(let request): (body, command) = request
                case .failure(let refusal): return fail(refusal.reason, attempts: refusal.final ? 1 : nil)
                }
            }
        } catch {
            return fail("\(error)")
        }
        // No per-message record of the carrying process: every hand-over goes through the one courier, whose
        // pid nothing reads (exactly-once rests on the spool's lock), and a write per message cost the write path.
        switch courier.deliver(body, id: message.id, command: command, onStart: { _ in }, keepWaiting: keepGoing) {
        case .delivered:
            if let onDelivered { onDelivered(message) } else { recordSent(message, now) }
            report.delivered += 1
        case .failed(let error):
            // An answer another attempt would not change (App IO: not subscribed, a 4xx) is set aside now.
            if let refusal = Self.refusal(message, error) { return fail(refusal, attempts: 1) }
            fail(error)
        case .inFlight:
            // The program is still running (or an earlier one for this message is): keep the claim, count nothing.
            logged("extend claim") { try outbox.extendClaim(id: message.id, until: now + lease) }
        case .notHandedOver:
            fail("delivery did not complete")
        }
    }
}
