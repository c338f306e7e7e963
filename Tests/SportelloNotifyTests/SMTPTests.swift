import Dispatch
import Foundation
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// Mail spoken over SMTP by the courier (issue 16: many messages per connection, no process per message), against
/// the in-process `SMTPSink`: replies, retries, refusals, dropped connections, dot-stuffing, old servers, and the
/// journal that keeps each attempt exactly once across kills.
@Suite(.serialized) struct SMTPTests {
    func body(_ messageID: String, extra: String = "") -> [UInt8] {
        Array(
            "From: a@example.it\r\nTo: b@example.it\r\nMessage-ID: <\(messageID)>\r\nSubject: x\r\n\r\nbody\r\n\(extra)"
                .utf8)
    }

    func command(_ sink: SMTPSink, attempt: Int = 0, recipient: String = "b@example.it") -> [String] {
        SMTPHandOver(
            server: SMTPServerAddress(sink.address) ?? SMTPServerAddress(host: "127.0.0.1", port: 1),
            attempt: attempt, sender: "noreply@example.it", recipient: recipient
        ).command
    }

    func claimed(_ id: Int64, attempts: Int = 0) -> OutboxMessage {
        OutboxMessage(
            id: id, kind: .confirmed, channel: .email, recipient: "b@example.it", payload: [:], bookingID: 1,
            language: "it", attempts: attempts, createdAt: 0, sentAt: nil, dead: false, lastError: nil,
            claimedUntil: 1, claimedBy: 999_999, deliveryPID: nil)
    }

    func deliver(_ courier: Courier, _ sink: SMTPSink, _ id: Int64, attempt: Int = 0) -> Courier.Outcome {
        courier.deliver(body("\(id)@test"), id: id, command: command(sink, attempt: attempt), onStart: { _ in })
    }

    func waitUntil(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition() && Date() < deadline { usleep(10_000) }
    }

    @Test func aMessageIsDeliveredWithItsEnvelopeAndManyShareOneConnection() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        for id: Int64 in 1...5 { #expect(deliver(courier, sink, id) == .delivered) }
        #expect(sink.received == ["1@test": 1, "2@test": 1, "3@test": 1, "4@test": 1, "5@test": 1])
        #expect(sink.connectionCount == 1)
        #expect(sink.commandLog.filter { $0 == "EHLO" }.count == 1)
        // PIPELINING: each message's MAIL, RCPT and DATA arrive together (16 commands, about 6 reads).
        #expect(sink.commandLog.count >= 2 * sink.commandReads, "\(sink.commandLog.count) in \(sink.commandReads)")
        #expect(sink.messages.first?.contains("Subject: x") == true)
        #expect(courier.outcome(of: claimed(3)) == .delivered)
        #expect(courier.outcome(of: claimed(3, attempts: 1)) == .notHandedOver)
    }

    @Test func aTemporaryRefusalIsRetriedAndThenDelivered() throws {
        let sandbox = try Sandbox()
        let refusals = Locked(0)
        let sink = try SMTPSink { _, _ in
            refusals.withLock { count in
                count += 1
                return count == 1 ? .reply("451 4.3.0 try again later") : .accept
            }
        }
        defer { sink.stop() }
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        guard case .failed(let error) = deliver(courier, sink, 7) else {
            Issue.record("a 451 was not a failure")
            return
        }
        #expect(error.contains("451 4.3.0 try again later"))
        #expect(SMTPHandOver.refusal(error) == nil)
        #expect(Notifier.refusal(claimed(7), error) == nil)
        // The outbox counted the attempt: the retry is a new attempt, sent again.
        #expect(deliver(courier, sink, 7, attempt: 1) == .delivered)
        #expect(sink.received == ["7@test": 1])
    }

    @Test func aPermanentRefusalIsSetAsideWithTheServersWords() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink { _, _ in .reply("550 5.1.1 no such user here") }
        defer { sink.stop() }
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        guard case .failed(let error) = deliver(courier, sink, 8) else {
            Issue.record("a 550 was not a failure")
            return
        }
        #expect(error.contains("550 5.1.1 no such user here"))
        #expect(Notifier.refusal(claimed(8), error) == error)
        #expect(sink.received.isEmpty)
        // A recipient refused at RCPT is refused for good too, and the next message still goes.
        guard
            case .failed(let rcpt) = courier.deliver(
                body("9@test"), id: 9, command: command(sink, recipient: "bad<address"), onStart: { _ in })
        else {
            Issue.record("an unusable address was not a failure")
            return
        }
        #expect(SMTPHandOver.refusal(rcpt) != nil)
        // Refused at RCPT by the server: the transaction is reset and the next message goes on the same
        // connection.
        guard
            case .failed(let unknown) = courier.deliver(
                body("10@test"), id: 10, command: command(sink, recipient: "unknown@example.it"), onStart: { _ in })
        else {
            Issue.record("a refused recipient was not a failure")
            return
        }
        #expect(unknown.contains("550 5.1.1 unknown user") && SMTPHandOver.refusal(unknown) != nil)
        #expect(sink.commandLog.contains("RSET"))
        let accepting = try SMTPSink()
        defer { accepting.stop() }
        #expect(deliver(courier, accepting, 14) == .delivered)
        #expect(sink.connectionCount == 1)
    }

    @Test func aConnectionLostAfterTheFinalDotIsUncertainAndRetriedWithTheSameMessageID() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink { _, seen in seen == 0 ? .dropAfterDot : .accept }
        defer { sink.stop() }
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        guard case .failed(let error) = deliver(courier, sink, 11) else {
            Issue.record("a dropped connection was not a failure")
            return
        }
        #expect(error == SMTPHandOver.uncertainWords)
        #expect(courier.outcome(of: claimed(11)) == .failed(SMTPHandOver.uncertainWords))
        // Asked again for the same attempt the courier sends nothing: the outcome stands.
        #expect(deliver(courier, sink, 11) == .failed(SMTPHandOver.uncertainWords))
        #expect(sink.received == ["11@test": 1])
        // The retry (the next attempt) goes on a new connection, with the same Message-ID.
        #expect(deliver(courier, sink, 11, attempt: 1) == .delivered)
        #expect(sink.received == ["11@test": 2])
        #expect(sink.connectionCount == 2)
    }

    @Test func linesStartingWithADotAreStuffedAndComeBackWhole() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        let text = body("12@test", extra: ".\r\n..two dots\r\n.hidden\nbare line feed\r\n")
        #expect(courier.deliver(text, id: 12, command: command(sink), onStart: { _ in }) == .delivered)
        let received = try #require(sink.messages.first)
        #expect(received.hasSuffix("body\r\n.\r\n..two dots\r\n.hidden\r\nbare line feed"))
        #expect(SMTPEnvelope(sender: "a", recipient: "b", body: Array(".x\n".utf8)).data == Array("..x\r\n.\r\n".utf8))
    }

    /// DATA as RFC 5321 §4.5.2 asks, a byte at a time: the rule `SMTPEnvelope.data` must keep.
    static func stuffedByteByByte(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var lineStart = true
        for byte in body {
            if lineStart && byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            if byte == UInt8(ascii: "\n") {
                if out.last != UInt8(ascii: "\r") { out.append(UInt8(ascii: "\r")) }
                out.append(byte)
                lineStart = true
                continue
            }
            out.append(byte)
            lineStart = false
        }
        if !lineStart { out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        return out + Array(".\r\n".utf8)
    }

    @Test func dataIsStuffedAndEndedLineByLineAsByteByByte() {
        let bodies = [
            "", ".", "\n", "\r\n", "a", "a\r", "a\r\n", "a\n", ".a\n.b\r\n..c", "\n.\n", "x\r\r\n.\r", "\r.\n",
            "line\rwith lone CR\n.end", "a\n\n\n.", "é\n.ü\r\n",
        ]
        for text in bodies {
            let body = Array(text.utf8)
            let envelope = SMTPEnvelope(sender: "a", recipient: "b", body: body)
            #expect(envelope.data == Self.stuffedByteByByte(body), "\(text)")
        }
    }

    @Test func withPipeliningAMessageAndTheNextOnesCommandsLeaveInOneWrite() throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let client = SMTPClient(address: try #require(SMTPServerAddress(sink.address)), timeout: 10)
        let count = 20
        let results = client.send(
            (1...count).map { SMTPEnvelope(sender: "a@example.it", recipient: "b@example.it", body: body("\($0)@t")) })
        #expect(results.allSatisfy { if case .accepted = $0 { true } else { false } }, "\(results)")
        #expect(sink.received.count == count)
        // EHLO and the first MAIL, RCPT and DATA wait for a read each; every later message's commands arrive with
        // the text before them (a write for the text and another for the next commands woke the sink twice).
        #expect(sink.commandReads <= 2 + count / 4, "\(sink.commandReads) reads for \(count) messages")
        client.quit()
    }

    @Test func serversWithoutPipeliningOrEHLOStillTakeTheMail() throws {
        for (pipelining, refusesEHLO) in [(false, false), (true, true)] {
            let sandbox = try Sandbox()
            let sink = try SMTPSink(pipelining: pipelining, refusesEHLO: refusesEHLO)
            defer { sink.stop() }
            let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
            for id: Int64 in 1...3 { #expect(deliver(courier, sink, id) == .delivered) }
            #expect(sink.received.count == 3)
            #expect(sink.commandLog.contains("HELO") == refusesEHLO)
            // Without PIPELINING (or extensions at all) each command waits for the previous reply.
            #expect(sink.commandLog.count <= sink.commandReads + 1, "\(sink.commandLog) in \(sink.commandReads)")
        }
    }

    @Test func aMultilineReplyIsReadWhole() {
        #expect(SMTPReply.parse(line: Array("250-PIPELINING".utf8))?.more == true)
        #expect(SMTPReply.parse(line: Array("250 OK".utf8))?.code == 250)
        #expect(SMTPReply.parse(line: Array("25".utf8)) == nil)
        #expect(SMTPReply.parse(line: Array("hello".utf8)) == nil)
        #expect(SMTPReply.parse(line: Array("250".utf8))?.more == false)
    }

    @Test func anUnreachableServerIsATemporaryFailureThatStartedNothing() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink()
        sink.stop()
        let courier = Courier(spool: "\(sandbox.folder)/spool", timeout: 10)
        guard case .failed(let error) = deliver(courier, sink, 13) else {
            Issue.record("no server was not a failure")
            return
        }
        #expect(error.hasPrefix("not sent"))
        #expect(Notifier.refusal(claimed(13), error) == nil)
    }

    @Test func aCourierKilledAfterRecordingSettlesFromItsJournalWithoutSendingAgain() throws {
        let sandbox = try Sandbox()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let spool = "\(sandbox.folder)/spool"
        let courier = Courier(spool: spool, timeout: 10)
        #expect(deliver(courier, sink, 20) == .delivered)
        let pid = try #require(CourierProcessTests.courierPID(spool: spool))
        kill(pid, SIGKILL)
        waitUntil { CourierProcessTests.gone(pid) || CourierProcessTests.courierPID(spool: spool) == nil }
        // A restarted server (a new courier value) settles the message from the journal, now free.
        let restarted = Courier(spool: spool, timeout: 10)
        #expect(restarted.outcome(of: claimed(20)) == .delivered)
        // Handed over again anyway (a claim that ran out), the new courier answers from the journal.
        #expect(deliver(restarted, sink, 20) == .delivered)
        #expect(sink.received == ["20@test": 1])
    }

    @Test func aCourierKilledMidBatchLeavesEachMessageUncertainOrUnsentNeverLost() throws {
        let sandbox = try Sandbox()
        let inDecision = DispatchSemaphore(value: 0)
        // The Message-IDs whose "." reached the sink before the kill.
        let reached = Locked<Set<String>>([])
        let sink = try SMTPSink { messageID, _ in
            reached.withLock { _ = $0.insert(messageID) }
            inDecision.signal()
            usleep(3_000_000)
            return .accept
        }
        defer { sink.stop() }
        let spool = "\(sandbox.folder)/spool"
        let courier = Courier(spool: spool, timeout: 20)
        let ids: [Int64] = [31, 32, 33]
        let outcomes = Locked<[Int64: Courier.Outcome]>([:])
        let group = DispatchGroup()
        for id in ids {
            group.enter()
            Thread { [self] in
                let outcome = deliver(courier, sink, id)
                outcomes.withLock { $0[id] = outcome }
                group.leave()
            }.start()
        }
        #expect(inDecision.wait(timeout: .now() + 10) == .success)
        let pid = try #require(CourierProcessTests.courierPID(spool: spool))
        kill(pid, SIGKILL)
        #expect(group.wait(timeout: .now() + 10) == .success)
        let settled = outcomes.withLock { $0 }
        let sentBeforeTheKill = reached.withLock { $0 }
        #expect(!sentBeforeTheKill.isEmpty)
        for id in ids {
            // Marked started and never recorded: uncertain, retried with the same Message-ID; never "not handed
            // over" (which could release a message an MTA took), never in flight for ever. A request that reached
            // the courier after its round had started waited for the next round: never started, never sent, it
            // may be "not handed over" (how the requests fall into rounds depends on the scheduler).
            let possible: [Courier.Outcome] =
                sentBeforeTheKill.contains("\(id)@test")
                ? [.failed(SMTPHandOver.uncertainWords)] : [.failed(SMTPHandOver.uncertainWords), .notHandedOver]
            #expect(settled[id].map(possible.contains) == true, "\(id): \(String(describing: settled[id]))")
            #expect(possible.contains(courier.outcome(of: claimed(id))))
        }
        // The retries go out once each.
        for id in ids { #expect(deliver(courier, sink, id, attempt: 1) == .delivered) }
        for id in ids { #expect((sink.received["\(id)@test"] ?? 0) >= 1) }
        #expect(sink.received.values.reduce(0, +) <= ids.count + 1)
    }

    @Test func manyReadersOfADeadCouriersJournalAllFindItFree() throws {
        // The waiters of a killed courier all read its journal at once: none may take another reader's probe for a
        // living courier and call its message in flight for ever.
        let sandbox = try Sandbox()
        let spool = "\(sandbox.folder)/spool"
        try PrivateFiles.makeFolder(spool)
        let courier = Courier(spool: spool, timeout: 10)
        try Data("started 50.0\n".utf8).write(to: URL(fileURLWithPath: "\(spool)/smtp-1-1.journal"))
        let outcomes = Locked<[Courier.Outcome]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 {
                let outcome = courier.journalOutcome(key: SMTPHandOver.key(id: 50, attempt: 0))
                outcomes.withLock { $0.append(outcome) }
            }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.count == 1_600)
        #expect(all.allSatisfy { $0 == .failed(SMTPHandOver.uncertainWords) }, "\(Set(all.map { "\($0)" }))")
    }

    @Test func aDamagedOrCutJournalIsReadWithoutCrashingAndNeverAsNotHandedOver() throws {
        let sandbox = try Sandbox()
        let spool = "\(sandbox.folder)/spool"
        try PrivateFiles.makeFolder(spool)
        let courier = Courier(spool: spool, timeout: 10)
        try Data("started 40.0\nstatus 40.0 25".utf8).write(to: URL(fileURLWithPath: "\(spool)/smtp-1-1.journal"))
        try Data([0xff, 0x00, 0x0a, 0x20, 0x0a] + Array("status\nstarted\nstatus 41.0\nstarted 42.0\n".utf8))
            .write(to: URL(fileURLWithPath: "\(spool)/smtp-1-2.journal"))
        #expect(courier.outcome(of: claimed(40)) == .failed(SMTPHandOver.uncertainWords))
        #expect(courier.outcome(of: claimed(41)) == .notHandedOver)
        #expect(courier.outcome(of: claimed(42)) == .failed(SMTPHandOver.uncertainWords))
        #expect(courier.outcome(of: claimed(43)) == .notHandedOver)
        // Swept once no claim needs them.
        courier.sweepJournals(keeping: [claimed(42)])
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/smtp-1-1.journal"))
        #expect(FileManager.default.fileExists(atPath: "\(spool)/smtp-1-2.journal"))
        courier.sweepJournals(keeping: [])
        #expect(!FileManager.default.fileExists(atPath: "\(spool)/smtp-1-2.journal"))
    }
}
