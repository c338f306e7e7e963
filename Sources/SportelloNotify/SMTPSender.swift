import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// The courier's SMTP side: one thread that takes the SMTP hand-overs queued since its last round, settles those
/// an earlier attempt already decided (its own journal, other couriers' journals), marks the rest started in its
/// journal, sends them over one connection per server (`SMTPClient`), records each reply and answers each
/// request. The connection is closed (QUIT) after `idleSeconds` without mail. See docs/ARCHITECTURE.md §6.
final class SMTPSender: @unchecked Sendable {
    // @unchecked: `queue` and `finishing` are only touched while `condition` is held; everything else only by the
    // sending thread.
    /// One queued hand-over and where its answer goes.
    struct Item {
        let id: Int64
        let handOver: SMTPHandOver
        let body: [UInt8]
        let answer: @Sendable (Courier.Outcome) -> Void
    }

    private let spool: String
    private let timeout: TimeInterval
    private let afterRound: @Sendable () -> Void
    private let condition = NSCondition()
    private var queue: [Item] = []
    private var finishing = false
    private let finished = DispatchSemaphore(value: 0)
    private var clients: [SMTPServerAddress: SMTPClient] = [:]
    private var journal: SMTPJournal?
    /// What the current journal says, by key (kept in memory: the courier is its only writer).
    private var own: [String: SMTPJournal.Entry] = [:]
    /// What other, free journals said.
    private var freeJournals: [String: [String: SMTPJournal.Entry]] = [:]

    /// Seconds without mail after which the connection is closed.
    static let idleSeconds: TimeInterval = 5
    /// Most messages in one round.
    static let batchLimit = 64

    /// A sender keeping its journal in `spool`, each SMTP read and write bounded by `timeout` seconds;
    /// `afterRound` is called on the sending thread after each round has answered its items (so answers
    /// gathered by the items' `answer` can leave together).
    init(spool: String, timeout: TimeInterval = 20, afterRound: @escaping @Sendable () -> Void = {}) {
        self.spool = spool
        self.timeout = timeout
        self.afterRound = afterRound
        let thread = Thread { [self] in run() }
        thread.start()
    }

    /// Queues a hand-over; `item.answer` is called on the sending thread, then `afterRound`.
    func enqueue(_ item: Item) {
        condition.lock()
        queue.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Sends what is queued, says QUIT and returns when done.
    func finish() {
        condition.lock()
        finishing = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        while true {
            condition.lock()
            if queue.isEmpty && !finishing { _ = condition.wait(until: Date().addingTimeInterval(Self.idleSeconds)) }
            let batch = Array(queue.prefix(Self.batchLimit))
            queue.removeFirst(batch.count)
            let done = finishing && queue.isEmpty
            condition.unlock()
            if !batch.isEmpty {
                send(batch)
                afterRound()
            }
            if batch.isEmpty || done {
                // Idle (or done): polite goodbyes, a new connection for the next mail.
                for client in clients.values { client.quit() }
            }
            if done {
                finished.signal()
                return
            }
        }
    }

    /// One round: settle, mark started, send, record, answer.
    private func send(_ batch: [Item]) {
        let journal: SMTPJournal
        do {
            journal = try self.journal ?? SMTPJournal(spool: spool)
            self.journal = journal
        } catch {
            // Nothing was started: a failed attempt, retried, never a duplicate.
            for item in batch { item.answer(.failed("cannot keep the SMTP journal: \(error)")) }
            return
        }
        var answers: [(Item, Courier.Outcome)] = []
        var sending: [(item: Item, key: String)] = []
        guard let mutex = SpoolMutex(spool: spool) else {
            for item in batch {
                item.answer(.failed("cannot lock \(spool)/smtp.lock: \(String(cString: strerror(errno)))"))
            }
            return
        }
        // Under the spool's mutex: another courier (one left finishing by a killed server) decides the same keys
        // only before or after this round's "started" marks, never in between.
        let others = SMTPJournal.entries(in: spool, excluding: journal.path, cache: &freeJournals)
        var seen: Set<String> = []
        for item in batch {
            let key = item.handOver.key(id: item.id)
            if !seen.insert(key).inserted {
                answers.append((item, .inFlight))
            } else if let entry = own[key] {
                answers.append((item, SMTPHandOver.outcome(entry, held: true)))
            } else if let found = others[key] {
                answers.append((item, SMTPHandOver.outcome(found.entry, held: found.held)))
            } else {
                sending.append((item, key))
            }
        }
        let started = journal.append(sending.map { "started \($0.key)" })
        mutex.release()
        guard started else {
            // Cut off, these lines would read as uncertain: a status for each says "not sent".
            _ = journal.append(sending.map { "status \($0.key) unsent the journal could not be written" })
            for (item, _) in sending { item.answer(.failed("cannot write the SMTP journal in \(spool)")) }
            for (item, outcome) in answers { item.answer(outcome) }
            return
        }
        for (key, _) in sending.map({ ($0.key, 0) }) { own[key] = SMTPJournal.Entry(status: nil) }
        var statuses: [(item: Item, key: String, status: SMTPJournal.Status)] = []
        let servers = sending.reduce(into: [SMTPServerAddress]()) { list, entry in
            if !list.contains(entry.item.handOver.server) { list.append(entry.item.handOver.server) }
        }
        for server in servers {
            let mine = sending.filter { $0.item.handOver.server == server }
            let client = clients[server] ?? SMTPClient(address: server, timeout: timeout)
            clients[server] = client
            let results = client.send(
                mine.map {
                    SMTPEnvelope(
                        sender: $0.item.handOver.sender, recipient: $0.item.handOver.recipient, body: $0.item.body)
                })
            for (entry, result) in zip(mine, results) {
                statuses.append((entry.item, entry.key, SMTPHandOver.status(result)))
            }
        }
        // Should this write fail the "started" marks stay: after this courier, uncertain, as after a kill.
        _ = journal.append(
            statuses.map { "status \($0.key) \($0.status.code) \(SMTPJournal.line($0.status.words))" })
        for (item, key, status) in statuses {
            let entry = SMTPJournal.Entry(status: status)
            own[key] = entry
            answers.append((item, SMTPHandOver.outcome(entry, held: true)))
        }
        for (item, outcome) in answers { item.answer(outcome) }
        if journal.size > SMTPJournal.rotateAt, let next = try? SMTPJournal(spool: spool) {
            // The old journal, free once released, is read like any other courier's and swept when done with.
            self.journal = next
            own = [:]
        }
    }
}
