import Dispatch
import Foundation
import SportelloCore
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// The courier process (issue 16: one long-lived child instead of a shell per message) under the deaths that
/// matter: the server's (the courier finishes and records what it started), the courier's own in the middle of a
/// batch (nothing is started twice, nothing it started is taken as never handed over), and a damaged lock file.
@Suite(.serialized) struct CourierProcessTests {
    let body = Array("Subject: x\r\n\r\nbody\r\n".utf8)

    func claimed(_ id: Int64) -> OutboxMessage {
        OutboxMessage(
            id: id, kind: .confirmed, channel: .email, recipient: "a@example.it", payload: [:], bookingID: 1,
            language: "it", attempts: 0, createdAt: 0, sentAt: nil, dead: false, lastError: nil, claimedUntil: 1,
            claimedBy: 999_999, deliveryPID: nil)
    }

    /// Hands `ids` over at once, each from its own thread; the outcomes by id and the courier's pid.
    func handOver(_ ids: [Int64], _ courier: Courier, sendmail: String) -> ([Int64: Courier.Outcome], Int32) {
        let outcomes = Locked<[Int64: Courier.Outcome]>([:])
        let pid = Locked<Int32>(0)
        // A thread each (concurrentPerform runs only as many as there are cores).
        let group = DispatchGroup()
        for id in ids {
            group.enter()
            Thread { [body] in
                let outcome = courier.deliver(
                    body, id: id, command: [sendmail, "-t", "-i"], onStart: { started in pid.withLock { $0 = started } }
                )
                outcomes.withLock { $0[id] = outcome }
                group.leave()
            }.start()
        }
        group.wait()
        return (outcomes.withLock { $0 }, pid.withLock { $0 })
    }

    func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(10_000) }
    }

    func busy(_ sandbox: Sandbox) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: sandbox.received)) ?? []).filter { $0.hasSuffix(".tmp") }
            .count
    }

    static func gone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }

    @Test func theServerGoingAwayLetsTheCourierFinishRecordAndExit() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", sleep: 0.8)
        let spool = "\(sandbox.folder)/spool"
        let ids: [Int64] = [1, 2, 3]
        var pid: Int32 = 0
        do {
            // The server stops waiting (as when it is stopping or killed) while sendmail holds every message.
            let courier = Courier(spool: spool, timeout: 0.2)
            let (outcomes, started) = handOver(ids, courier, sendmail: sendmail)
            #expect(outcomes.values.allSatisfy { $0 == .inFlight }, "\(outcomes)")
            pid = started
            #expect(pid > 0 && !Self.gone(pid))
        }
        // The last copy of the server's courier is gone: its end of the socket is shut. The courier finishes the
        // three hand-overs, records them and exits.
        waitUntil { Self.gone(pid) }
        #expect(Self.gone(pid))
        #expect(sandbox.receivedFiles().count == 3)
        let restarted = Courier(spool: spool)
        for id in ids {
            #expect(restarted.outcome(of: claimed(id)) == .delivered)
            restarted.forget(id: id)
        }
        #expect(sandbox.receivedFiles().count == 3)
    }

    @Test func aCourierKilledMidBatchStartsNothingTwiceAndLeavesNothingTakenAsUnsent() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", sleep: 1)
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        let ids: [Int64] = [21, 22, 23, 24]
        let result = Locked<([Int64: Courier.Outcome], Int32)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [self] in
            result.withLock { $0 = handOver(ids, courier, sendmail: sendmail) }
            done.signal()
        }
        waitUntil { busy(sandbox) == ids.count }
        // The courier is killed while sendmail holds the batch (as by an OOM kill): the server's waits end at once.
        let courierPID = try #require(Self.courierPID(spool: "\(sandbox.folder)/spool"))
        kill(courierPID, SIGKILL)
        #expect(done.wait(timeout: .now() + 5) == .success)
        let (outcomes, _) = try #require(result.withLock { $0 })
        // Each sendmail still holds its message's lock: in flight, never "not handed over", never sent again.
        #expect(outcomes.values.allSatisfy { $0 == .inFlight }, "\(outcomes)")
        for id in ids {
            #expect(courier.deliver(body, id: id, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .inFlight)
        }
        waitUntil { busy(sandbox) == 0 }
        // Nobody recorded the statuses: each is an interrupted hand-over (a failed attempt, retried later with
        // the same Message-ID), never taken as a message that was not handed over.
        for id in ids {
            // The program may still be exiting (holding the lock) for a moment after its message landed.
            var outcome = Courier.Outcome.inFlight
            waitUntil {
                outcome = courier.outcome(of: claimed(id))
                return outcome != .inFlight
            }
            guard case .failed(let error) = outcome else {
                Issue.record("message \(id) was not settled as interrupted: \(outcome)")
                continue
            }
            #expect(error.contains("interrupted"))
        }
        #expect(sandbox.receivedFiles().count == ids.count)
        // The next hand-over starts a new courier.
        #expect(courier.deliver(body, id: 30, command: [sendmail, "-t", "-i"], onStart: { _ in }) == .delivered)
        #expect(sandbox.receivedFiles().count == ids.count + 1)
    }

    /// The pid of the courier process serving `spool` (its command line names it).
    static func courierPID(spool: String) -> Int32? {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.first { pid in
            guard let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = line.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.count == 3 && arguments[1] == CourierProcess.mode && arguments[2] == spool
        }
    }

    /// serve's hand-over threads run lowered, and so does the courier they start. The courier stays in the server's
    /// session, in a process group of its own: where the kernel groups a session's processes for scheduling
    /// (autogroup), a courier in a session of its own shared the cores with the server as an equal whatever its nice
    /// value; a group of its own keeps a signal to the server's group (Ctrl-C) from reaching it.
    @Test func theCourierSharesTheServersSchedulingGroupInAProcessGroupOfItsOwn() throws {
        let sandbox = try Sandbox()
        let program = "\(sandbox.folder)/groups"
        // The program's words come back with its failure: its scheduling group's line (none where the kernel has
        // no such groups), its session and its process group (fields 6 and 5 of /proc/self/stat, after the name).
        let script = [
            "#!/bin/sh", "cat /proc/self/autogroup 2>/dev/null", "sed 's/.*) //' /proc/self/stat | cut -d' ' -f3,4",
            "exit 3",
        ]
        _ = FileManager.default.createFile(
            atPath: program, contents: Data((script.joined(separator: "\n") + "\n").utf8),
            attributes: [.posixPermissions: 0o755])
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        let outcome = Locked<Courier.Outcome?>(nil)
        let courierPID = Locked<Int32>(0)
        let done = DispatchSemaphore(value: 0)
        Thread { [body] in
            BackgroundPriority.lowerCallingThread()
            let result = courier.deliver(
                body, id: 60, command: [program], onStart: { pid in courierPID.withLock { $0 = pid } })
            outcome.withLock { $0 = result }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 20) == .success)
        guard case .failed(let words) = outcome.withLock({ $0 }) else {
            Issue.record("the program did not fail as written: \(String(describing: outcome.withLock { $0 }))")
            return
        }
        let ownGroup = (try? String(contentsOfFile: "/proc/self/autogroup", encoding: .utf8)) ?? ""
        let groupLine = ownGroup.split(separator: " ").first.map(String.init) ?? ""
        // The same scheduling group as this process (the server), at its nice 0: the courier's nice 10 counts there.
        #expect(groupLine.isEmpty || words.contains(groupLine), "\(words) against \(ownGroup)")
        // The program's process group is the courier's own, its session this process's.
        let pid = courierPID.withLock { $0 }
        #expect(pid > 0)
        #expect(words.contains("\(pid) \(getsid(0))"), "\(words): courier \(pid), session \(getsid(0))")
        #expect(getpgid(pid) == pid || Self.gone(pid))
    }

    @Test func aDamagedLockFileIsNeverTakenAsNeverHandedOver() throws {
        let sandbox = try Sandbox()
        let courier = Courier(spool: "\(sandbox.folder)/spool")
        try PrivateFiles.makeFolder(courier.spool)
        let lock = courier.base(40) + ".lock"
        func outcome(_ content: String) -> Courier.Outcome {
            _ = FileManager.default.createFile(atPath: lock, contents: Data(content.utf8))
            return courier.outcome(of: claimed(40))
        }
        // Cut off, overwritten with zeros, or not a status: as uncertain as a courier killed while sendmail ran.
        for damaged in ["sta", "\u{0}\u{0}\u{0}\u{0}", "started\n", "\nexit", "x7\n"] {
            guard case .failed(let error) = outcome(damaged) else {
                Issue.record("\(damaged.debugDescription) was not taken as an interrupted hand-over")
                continue
            }
            #expect(error.contains("interrupted"))
        }
        // A status written over the "started" mark by a courier killed before it cut the rest off.
        #expect(outcome("0\narted\n") == .delivered)
        #expect(outcome("75\nrelay refused\n") == .failed("exit status 75: relay refused"))
        #expect(outcome("") == .notHandedOver)
        #expect(!FileManager.default.fileExists(atPath: lock))
    }

    @Test func framesSurviveTheSocketAndMalformedOnesEndTheStreamWithoutACrash() throws {
        var ends: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { for end in ends { close(end) } }
        let large = [UInt8](repeating: UInt8(ascii: "a"), count: 300_000)
        let request = CourierFrame.Request(
            tag: 7, id: 42, command: ["/usr/sbin/sendmail", "-t", "-i", "à è"], body: large)
        let reply = CourierFrame.Reply(tag: 8, outcome: .failed("exit status 75: no\nrelay"))
        let sending = ends[0]
        let writer = Thread {
            _ = CourierFrame.send(CourierFrame.encode(request), to: sending)
            _ = CourierFrame.send(CourierFrame.encode(reply), to: sending)
            _ = CourierFrame.send(Array("9 d 1\n".utf8), to: sending)  // promises a byte that never comes
            shutdown(sending, Int32(SHUT_WR))
        }
        writer.start()
        let reader = FrameReader(descriptor: ends[1])
        #expect(CourierFrame.readRequest(reader) == request)
        #expect(CourierFrame.readReply(reader) == reply)
        #expect(CourierFrame.readReply(reader) == nil)
        for garbage in ["x y z\n", "1 q 0\n", "1 2\n", "-1 2 -5\n"] {
            var pair: [Int32] = [-1, -1]
            #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            _ = CourierFrame.send(Array(garbage.utf8), to: pair[0])
            shutdown(pair[0], Int32(SHUT_WR))
            let garbageReader = FrameReader(descriptor: pair[1])
            #expect(CourierFrame.readRequest(garbageReader) == nil)
            #expect(CourierFrame.readReply(FrameReader(descriptor: pair[1])) == nil)
            close(pair[0])
            close(pair[1])
        }
    }
}
