import Dispatch
import Foundation
import SportelloCore
import SportelloSite
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// The hand-over to sendmail as a restarted worker sees it. Whether a message may be sent again must not
/// depend on the database having recorded the wrapper's pid (a worker can die between starting it and that
/// commit), nor on pids (they are reused after a reboot), and a program that runs long must never be started
/// a second time for the same message.
@Suite(.serialized) struct HandOverTests {
    /// An outbox row as `unfinishedClaims` returns it: claimed by a worker that is gone.
    func claimed(_ id: Int64, deliveryPID: Int32? = nil) -> OutboxMessage {
        OutboxMessage(
            id: id, kind: .confirmed, channel: .email, recipient: "a@example.it", payload: [:], bookingID: 1,
            language: "it",
            attempts: 0, createdAt: 0, sentAt: nil, dead: false, lastError: nil, claimedUntil: 1, claimedBy: 999_999,
            deliveryPID: deliveryPID)
    }

    let now = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 25)!, minutes: 8 * 60)!

    /// A fake sendmail taking `sleep` seconds a message, the demo comune without reminders, and `bookings`
    /// bookings for tomorrow, each with its confirmation queued in the same transaction.
    func slowSendmail(sleep: Double, bookings count: Int) throws -> (Sandbox, Database, PageRenderer) {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", sleep: sleep)
        let renderer = try demoRenderer {
            $0.sendmailPath = sendmail
            $0.reminderHoursBefore = 0
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let store = BookingStore(database: database)
        let start = now + 86_400
        let person = PersonDetails(
            givenName: "Ada", familyName: "Neri", codiceFiscale: "RSSMRA85T10A562S", email: "ada@example.it",
            phone: "3331234567")
        for _ in 0..<count {
            let hold = try store.placeHold(
                slot: SlotRef(serviceID: "carta-identita", start: start), capacity: count, now: now,
                expiresAt: now + 600,
                clientIP: "t"
            ).value
            _ = try store.confirm(
                holdToken: hold.token, person: person, slotEnd: start + 1_200, now: now, clientIP: "t",
                policy: BookingPolicy(messages: MessagePolicy(renderer.catalogue.configuration.notifications))
            ).value
        }
        return (sandbox, database, renderer)
    }

    /// Waits for the fake sendmail to finish, then runs passes until one settles what it left.
    func settle(_ notifier: Notifier, _ sandbox: Sandbox, at time: Int64) -> DeliveryReport {
        waitUntilIdle(sandbox)
        let deadline = Date().addingTimeInterval(5)
        var report = DeliveryReport()
        while report.recovered == 0 && Date() < deadline {
            usleep(20_000)
            report = notifier.deliverDue(clock: { time })
        }
        return report
    }

    /// Waits until the fake program holds a message (its temporary file exists).
    func waitUntilBusy(_ sandbox: Sandbox) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.received)) ?? []
            if names.contains(where: { $0.hasSuffix(".tmp") }) { return }
            usleep(5_000)
        }
    }

    func waitUntilIdle(_ sandbox: Sandbox) {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.received)) ?? []
            if !names.contains(where: { $0.hasSuffix(".tmp") }) { return }
            usleep(5_000)
        }
    }

    @Test func aHandOverWhosePidWasNeverRecordedIsStillInFlight() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", sleep: 0.6)
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        let first = Locked<Courier.Outcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        // The worker starts the wrapper and "dies" before recording its pid: onStart records nothing.
        Thread.detachNewThread {
            let outcome = courier.deliver(
                Array("Subject: x\r\n\r\nbody\r\n".utf8), id: 7, command: [sendmail, "-t", "-i"], onStart: { _ in })
            first.withLock { $0 = outcome }
            done.signal()
        }
        waitUntilBusy(sandbox)
        // The restarted worker must not take the message as never handed over.
        #expect(courier.outcome(of: claimed(7)) == .inFlight)
        done.wait()
        #expect(first.withLock { $0 } == .delivered)
        courier.forget(id: 7)
        #expect(courier.outcome(of: claimed(7)) == .notHandedOver)
        #expect(sandbox.receivedFiles().count == 1)
    }

    /// The wrapper writes its status with one `echo`: killed between creating the file and writing it, it leaves
    /// an empty file, as uncertain as a kill while the program ran; never a delivery, never an "exit status ".
    @Test func aStatusCutOffByAKillCountsAsAnInterruptedHandOver() throws {
        let sandbox = try Sandbox()
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        try PrivateFiles.makeFolder(courier.spool)
        let base = courier.base(11)
        for name in [".started", ".status", ".lock"] {
            #expect(FileManager.default.createFile(atPath: base + name, contents: Data()))
        }
        guard case .failed(let error) = courier.outcome(of: claimed(11)) else {
            Issue.record("an empty status was not taken as an interrupted hand-over")
            return
        }
        #expect(error.contains("interrupted"))
        #expect(courier.outcome(of: claimed(11)) == .notHandedOver)
        // A wrapper of an earlier version, running at the upgrade, records its status in a file of its own.
        for name in [".started", ".lock"] {
            #expect(FileManager.default.createFile(atPath: base + name, contents: Data()))
        }
        #expect(FileManager.default.createFile(atPath: base + ".status", contents: Data("0\n".utf8)))
        #expect(courier.outcome(of: claimed(11)) == .delivered)
    }

    /// The wrapper is started with `posix_spawn` by a server that ignores SIGPIPE: the program gets the default
    /// disposition of SIGPIPE, the message on its standard input and not the worker's wait pipe (descriptor 3).
    @Test func theProgramStartsWithDefaultSignalsAndOnlyItsOwnDescriptors() throws {
        let sandbox = try Sandbox()
        let program = "\(sandbox.folder)/check"
        let report = "\(sandbox.folder)/report"
        let script =
            "#!/bin/sh\ngrep '^SigIgn' /proc/$$/status > \(report)\n[ -e /proc/$$/fd/3 ] && echo fd3 >> \(report)\ncat > \(report).message\nexit 0\n"
        #expect(
            FileManager.default.createFile(
                atPath: program, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]))
        let ignored = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, ignored) }
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        var pid: Int32 = 0
        #expect(
            courier.deliver(Array("Subject: x\r\n\r\nbody\r\n".utf8), id: 12, command: [program], onStart: { pid = $0 })
                == .delivered)
        #expect(pid > 0)
        let lines = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
        // The SigIgn mask in hexadecimal, bit n - 1 for signal n.
        let ignoredMask = lines.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .flatMap { UInt64($0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) }
        #expect(ignoredMask.map { $0 & (1 << (UInt64(SIGPIPE) - 1)) == 0 } == true)
        #expect(!lines.contains("fd3"))
        #expect((try? String(contentsOfFile: report + ".message", encoding: .utf8)) == "Subject: x\r\n\r\nbody\r\n")
    }

    /// A program whose file is still open for writing ("Text file busy": being replaced, or a descriptor that
    /// another thread's process start inherited for an instant) is started once it is free, not failed: it had
    /// not run, so starting it later cannot send twice.
    @Test func aProgramBusyBeingWrittenIsStartedOnceItIsFree() throws {
        let sandbox = try Sandbox()
        // A copy of `true`: the kernel refuses to start a binary open for writing.
        let program = "\(sandbox.folder)/busy"
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: program)
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        // The courier process is up before the program is made busy, so the start below is tried at once.
        #expect(courier.deliver([], id: 30, command: ["/bin/true"], onStart: { _ in }) == .delivered)
        let writer = open(program, O_WRONLY | O_CLOEXEC)
        #expect(writer >= 0)
        let outcome = Locked<Courier.Outcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let delivered = courier.deliver(
                Array("Subject: x\r\n\r\nbody\r\n".utf8), id: 31, command: [program], onStart: { _ in })
            outcome.withLock { $0 = delivered }
            done.signal()
        }
        usleep(100_000)
        close(writer)
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(outcome.withLock { $0 } == .delivered)
    }

    /// Issue 16: the message reaches the program through a pipe filled before it starts, so the spool holds no
    /// copy of it (no file to create, zero and sync per message); one larger than a pipe holds still arrives
    /// whole, through a spool file that is removed afterwards.
    @Test func theMessageGoesThroughAPipeAndALargeOneThroughTheSpool() throws {
        let sandbox = try Sandbox()
        let program = "\(sandbox.folder)/check"
        let report = "\(sandbox.folder)/report"
        let spool = "\(sandbox.folder)/spool"
        let script = "#!/bin/sh\nls \(spool) > \(report)-$1.files\ncat > \(report)-$1.message\nexit 0\n"
        #expect(
            FileManager.default.createFile(
                atPath: program, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]))
        let courier = Courier(spool: spool)
        let small = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        #expect(courier.deliver(small, id: 13, command: [program, "small"], onStart: { _ in }) == .delivered)
        #expect((try? String(contentsOfFile: report + "-small.files", encoding: .utf8))?.contains(".message") == false)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: report + "-small.message"))) == Data(small))
        // Past /proc/sys/fs/pipe-max-size (1 MiB unless raised): the spool file.
        let large = Array("Subject: x\r\n\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 8 << 20)
        #expect(courier.deliver(large, id: 14, command: [program, "large"], onStart: { _ in }) == .delivered)
        #expect(
            (try? String(contentsOfFile: report + "-large.files", encoding: .utf8))?.contains("message-14.message")
                == true)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: report + "-large.message"))) == Data(large))
        courier.forget(id: 13)
        courier.forget(id: 14)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? ["?"]).isEmpty)
    }

    @Test func aDeliveryStaysSettledUntilTheOutboxHasRecordedIt() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail")
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        let body = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        #expect(courier.deliver(body, id: 10, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .delivered)
        // The worker dies before its "sent" mark commits: the restarted one, and a retry, find it delivered.
        #expect(courier.outcome(of: claimed(10)) == .delivered)
        #expect(courier.deliver(body, id: 10, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .delivered)
        #expect(sandbox.receivedFiles().count == 1)
        courier.forget(id: 10)
        #expect(courier.outcome(of: claimed(10)) == .notHandedOver)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(sandbox.folder)/spool")) ?? ["?"]).isEmpty)
    }

    @Test func aProgramWhoseWordsAreNotUTF8IsStillDelivered() throws {
        // A sendmail that accepts the message but prints Latin-1: its status must count, now and after a restart.
        let sandbox = try Sandbox()
        let program = "\(sandbox.folder)/latin1"
        let script = "#!/bin/sh\ncat > /dev/null\nprintf 'accettato: citt\\340\\n'\nexit 0\n"
        #expect(
            FileManager.default.createFile(
                atPath: program, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]))
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        let body = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        #expect(courier.deliver(body, id: 15, command: [program], onStart: { _ in }) == .delivered)
        #expect(courier.outcome(of: claimed(15)) == .delivered)
        courier.forget(id: 15)
        #expect(courier.outcome(of: claimed(15)) == .notHandedOver)
    }

    @Test func aProgramThatOutlivesTheTimeoutIsNeverStartedTwice() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", sleep: 1.2)
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 0.3)
        let body = Array("Subject: x\r\n\r\nbody\r\n".utf8)
        // The worker stops waiting, but sendmail may be about to accept the message: it is left to finish.
        #expect(courier.deliver(body, id: 8, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .inFlight)
        // A retry while it runs starts nothing.
        #expect(courier.deliver(body, id: 8, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .inFlight)
        #expect(courier.outcome(of: claimed(8)) == .inFlight)
        waitUntilIdle(sandbox)
        // Its recorded status settles the message, once, by whichever call comes next.
        let deadline = Date().addingTimeInterval(5)
        var settled = courier.outcome(of: claimed(8))
        while settled == .inFlight && Date() < deadline {
            usleep(20_000)
            settled = courier.outcome(of: claimed(8))
        }
        #expect(settled == .delivered)
        courier.forget(id: 8)
        #expect(courier.outcome(of: claimed(8)) == .notHandedOver)
        #expect(sandbox.receivedFiles().count == 1)
    }

    @Test func aPidFromBeforeARebootHoldsNothing() throws {
        let sandbox = try Sandbox()
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        // Pid 1 is always alive; after a reboot the recorded wrapper pid can belong to any process.
        #expect(courier.outcome(of: claimed(9, deliveryPID: 1)) == .notHandedOver)
        #expect(courier.outcome(of: claimed(9, deliveryPID: getpid())) == .notHandedOver)
    }

    @Test func theWorkerWaitsForAHandOverStillRunningInsteadOfCountingAFailure() throws {
        let (sandbox, database, renderer) = try slowSendmail(sleep: 1.2, bookings: 1)
        let notifier = Notifier(
            database: database, renderer: renderer, spool: "\(sandbox.folder)/spool", deliveryTimeout: 0.3)
        #expect(notifier.deliverDue(clock: { now }) == DeliveryReport())
        let waiting = try #require(try notifier.outbox.list().first)
        #expect(
            waiting.attempts == 0 && waiting.lastError == nil && waiting.claimedUntil != nil && waiting.sentAt == nil)
        // Later passes, even after the claim would have run out, neither count a failure nor start sendmail again.
        #expect(notifier.deliverDue(clock: { now + 10 }) == DeliveryReport())
        #expect(notifier.deliverDue(clock: { now + 3_600 }) == DeliveryReport())
        #expect(settle(notifier, sandbox, at: now + 3_700).recovered == 1)
        let sent = try #require(try notifier.outbox.list().first)
        #expect(sent.sentAt != nil && sent.attempts == 1)
        #expect(sandbox.receivedFiles().count == 1)
        // Once recorded as sent, the spool keeps nothing of it.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: "\(sandbox.folder)/spool")) ?? ["?"]).isEmpty)
    }

    @Test func aStoppingWorkerTakesNoFurtherMessageAndLeavesTheRunningOneToFinish() throws {
        // More messages than hand-overs run at once: the first `handOvers` go together, the rest wait.
        let running = Notifier.handOvers
        let (sandbox, database, renderer) = try slowSendmail(sleep: 1, bookings: running + 2)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        // The stop arrives while sendmail holds the first messages.
        let stopAt = Date().addingTimeInterval(0.3)
        let began = Date()
        #expect(notifier.deliverDue(clock: { now }, keepGoing: { Date() < stopAt }) == DeliveryReport())
        #expect(Date().timeIntervalSince(began) < 0.9)
        let rows = try notifier.outbox.list()
        #expect(
            rows.filter { $0.claimedUntil != nil }.count == running
                && rows.allSatisfy { $0.sentAt == nil && $0.attempts == 0 })
        // The next start settles the running ones from the spool and sends the others.
        let report = settle(notifier, sandbox, at: now + 60)
        #expect(report.recovered == running && report.delivered == 2)
        #expect(try notifier.outbox.list().allSatisfy { $0.sentAt != nil })
        #expect(sandbox.receivedFiles().count == running + 2)
    }

    @Test func handOversRunSideBySide() throws {
        // Each sendmail takes 1 s: one at a time, 4 messages would take 4 s.
        let (sandbox, database, renderer) = try slowSendmail(sleep: 1, bookings: Notifier.handOvers)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        let began = Date()
        #expect(notifier.deliverDue(clock: { now }).delivered == Notifier.handOvers)
        #expect(Date().timeIntervalSince(began) < 3)
        #expect(sandbox.receivedFiles().count == Notifier.handOvers)
        #expect(try notifier.outbox.list().allSatisfy { $0.sentAt != nil && $0.attempts == 1 })
    }
}
