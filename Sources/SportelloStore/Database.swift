import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one SQLite wrapper: one writer connection (writes group-committed, see `write`) and a few
/// reader connections (WAL lets each read a consistent snapshot while the writer works), so request
/// handlers and the publishers do not queue behind one another to read.
public final class Database: @unchecked Sendable {
    // @unchecked: the writer and `writerIsFull` are only touched under `writeLock` (held by the leader of a
    // batch); the queue and the leader's identity only under `queueState`; a reader only by the caller that
    // took its index from `idleReaders`.
    // Declared readers first: stored properties are released in this order, so the writer closes last. The
    // last connection to close checkpoints the log and removes it only if it can write; a reader closing last
    // left the whole write-ahead log behind, for the next process to read through again before its first
    // query (5 MB, a tenth of a warm 100-service `sportello build`).
    private let readers: [Connection]
    private let writer: Connection
    private let writeLock = NSLock()
    private var writerIsFull = true
    private let idleReaders: NSCondition = NSCondition()
    private var idle: [Int]
    /// The database file, also where backups, the lock and `secrets/` are placed beside.
    public let path: String
    private let commits = Atomic<Int>(0)
    private let replicatorOwnsLog = Atomic<Bool>(false)
    private let queueState = NSLock()
    private var queued: [PendingWrite] = []
    private var leaderIsActive = false
    private var leaderThread: pthread_t?
    /// Tests: the number (counted in `commitAttempts`) of a COMMIT to fail as a failing disk would, to check
    /// that every caller of a failed batch gets the error.
    let failingCommit = Atomic<Int>(0)
    let commitAttempts = Atomic<Int>(0)
    /// Tests: transactions committed (a batch is one).
    let batchesCommitted = Atomic<Int>(0)
    /// Tests: callers waiting for a batch to take their write.
    var queuedWrites: Int {
        queueState.lock()
        defer { queueState.unlock() }
        return queued.count
    }

    /// Most bodies one commit carries: bounds how long the last body of a batch waits for the first.
    public static let batchLimit = 256

    /// Grows with every committed write: a value read from the database stays current while this does not move.
    public var committedWrites: Int { commits.load(ordering: .acquiring) }

    /// Opens (creating if missing, mode 0600) the database at `path` with one writer and `readerCount` readers.
    public init(path: String, readers readerCount: Int = 4) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try PrivateFiles.makeFolder(folder) }
        // SQLite gives the -wal and -shm files the mode of the database file, so a 0600 database keeps its
        // log and shared memory private too.
        try PrivateFiles.makeFile(path)
        writer = try Connection(path: path, readOnly: false)
        try Migrations.backupBeforeUpgrade(writer, databasePath: path)
        try Migrations.apply(to: writer)
        readers = try (0..<max(1, readerCount)).map { _ in try Connection(path: path, readOnly: true) }
        idle = Array(readers.indices)
    }

    /// One write, group-committed: bodies of concurrent callers run one after another on the writer inside ONE
    /// `BEGIN IMMEDIATE` transaction, each in its own savepoint, and one COMMIT (one disk flush) makes the whole
    /// batch durable; each call returns only after that. `BEGIN IMMEDIATE` takes the write lock up front and the
    /// bodies run in order, so a check made inside a body (capacity, idempotency) sees every earlier body's
    /// writes and cannot be invalidated before the commit. A body that throws rolls back to its savepoint only:
    /// its caller gets the error, its neighbours commit. A failed COMMIT fails every caller of the batch.
    ///
    /// The first caller to find no batch running leads: it commits what is queued (its own write included) and
    /// hands over, so an uncontended write costs no thread hop and the callers that queued during a flush
    /// share the next one.
    ///
    /// `durable: false` commits without waiting for the disk (`synchronous = NORMAL`), for changes whose loss
    /// on a power cut is harmless — a 10-minute hold. It rides a durable batch if there is one; the next
    /// durable commit flushes the log with them, and a confirmed booking is always durable.
    ///
    /// A body may call `write` again (on the same thread): the inner write joins the running batch in a nested
    /// savepoint.
    public func write<T>(durable: Bool = true, _ body: (Connection) throws -> T) throws -> T {
        try withoutActuallyEscaping(body) { body in
            var value: T?
            let pending = PendingWrite(durable: durable) { connection in value = try body(connection) }
            queueState.lock()
            if leaderIsActive, let leaderThread, pthread_equal(leaderThread, pthread_self()) != 0 {
                queueState.unlock()
                try runNested(pending)
            } else {
                queued.append(pending)
                while !pending.isFinished {
                    if leaderIsActive {
                        // Woken alone: when its batch is durable, or to lead the next one. A condition shared by
                        // every waiter woke all of them after each batch, most only to wait again.
                        queueState.unlock()
                        pending.wake.wait()
                        queueState.lock()
                    } else if pending.background, queued.contains(where: { !$0.background }) {
                        // A background caller does not lead a batch that carries a request's write: at its lower
                        // priority the request would wait for every busier thread. The request's caller leads
                        // (its batch takes this write too) and wakes this one when it is durable. (No reference
                        // to the request's write is kept while waiting: its body must not outlive its call.)
                        queued.first { !$0.background }?.wake.signal()
                        queueState.unlock()
                        pending.wake.wait()
                        queueState.lock()
                    } else {
                        lead(until: pending)
                    }
                }
                queueState.unlock()
            }
            if let failure = pending.failure { throw failure }
            guard let value else {
                throw DatabaseError(code: SQLITE_MISUSE, message: "write finished without a result", sql: "")
            }
            return value
        }
    }

    /// Called with `queueState` locked and no leader: commits batches until `own` is durable, then hands over
    /// to a waiting caller, so that under a steady load no caller leads (and waits) for ever.
    private func lead(until own: PendingWrite) {
        leaderIsActive = true
        leaderThread = pthread_self()
        while !queued.isEmpty && !own.isFinished {
            let batch = Array(queued.prefix(Self.batchLimit))
            queued.removeFirst(batch.count)
            queueState.unlock()
            writeLock.lock()
            commit(batch)
            writeLock.unlock()
            queueState.lock()
            for pending in batch {
                pending.isFinished = true
                if pending !== own { pending.wake.signal() }
            }
        }
        leaderIsActive = false
        leaderThread = nil
        // Hands over to the oldest waiter, which leads the next batch (unless a newcomer took the lead first:
        // then it waits again and that leader's batch takes it).
        queued.first?.wake.signal()
    }

    /// Runs a batch on the writer; every body ends with `failure` set or its result stored.
    private func commit(_ batch: [PendingWrite]) {
        var remaining = batch[...]
        while !remaining.isEmpty {
            let durable = remaining.contains { $0.durable }
            do {
                if durable != writerIsFull {
                    try writer.execute(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    writerIsFull = durable
                }
                try writer.execute("BEGIN IMMEDIATE")
            } catch {
                for pending in remaining { pending.failure = error }
                return
            }
            var committing: [PendingWrite] = []
            var aborted = false
            while let pending = remaining.first, !aborted {
                remaining.removeFirst()
                let single = batch.count == 1
                do {
                    if !single { try writer.execute("SAVEPOINT write") }
                    do {
                        try pending.run(writer)
                        if !single { try writer.execute("RELEASE write") }
                        committing.append(pending)
                    } catch {
                        pending.failure = error
                        if !single {
                            try writer.execute("ROLLBACK TO write")
                            try writer.execute("RELEASE write")
                        }
                    }
                } catch {
                    // The savepoint machinery itself failed: the transaction is in an unknown state.
                    pending.failure = pending.failure ?? error
                    aborted = true
                }
                // Some failures (disk full, I/O error) make SQLite roll the whole transaction back on its own:
                // the bodies before are lost too; the rest of the queue goes on in a fresh transaction.
                if sqlite3_get_autocommit(writer.handle) != 0 { aborted = true }
                if aborted {
                    let error =
                        pending.failure
                        ?? DatabaseError(code: SQLITE_ABORT, message: "transaction rolled back", sql: "")
                    for earlier in committing { earlier.failure = error }
                    committing.removeAll()
                }
            }
            if aborted {
                if sqlite3_get_autocommit(writer.handle) == 0 { try? writer.execute("ROLLBACK") }
                continue
            }
            // Nothing left to keep (every body failed): no need for the disk.
            if committing.isEmpty {
                try? writer.execute("ROLLBACK")
                continue
            }
            do {
                if commitAttempts.add(1, ordering: .relaxed).newValue == failingCommit.load(ordering: .relaxed) {
                    throw DatabaseError(code: SQLITE_IOERR, message: "injected commit failure", sql: "COMMIT")
                }
                try writer.execute("COMMIT")
                commits.add(committing.count, ordering: .releasing)
                batchesCommitted.add(1, ordering: .relaxed)
            } catch {
                try? writer.execute("ROLLBACK")
                for pending in committing { pending.failure = error }
            }
        }
    }

    /// A write from inside a body of the running batch: a savepoint nested in that body's.
    private func runNested(_ pending: PendingWrite) throws {
        try writer.execute("SAVEPOINT nested")
        do {
            try pending.run(writer)
            try writer.execute("RELEASE nested")
        } catch {
            try? writer.execute("ROLLBACK TO nested")
            try? writer.execute("RELEASE nested")
            throw error
        }
    }

    /// Copies the write-ahead log into the database file and empties the log, so nothing erased lingers there.
    /// When a replicator owns the log (`leaveLogToReplicator`), copies what it can without waiting and leaves
    /// the emptying to the replicator.
    public func checkpoint() throws {
        writeLock.lock()
        defer { writeLock.unlock() }
        // Litestream keeps a read transaction open until it has shipped the log: TRUNCATE would hold the write lock
        // waiting for it until busy_timeout (5 s), stalling every booking, and still not empty the log.
        let passive = replicatorOwnsLog.load(ordering: .relaxed)
        try writer.execute(passive ? "PRAGMA wal_checkpoint(PASSIVE)" : "PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Litestream (`replication.litestream`) follows and checkpoints the write-ahead log: Sportello's own
    /// checkpoints become passive from now on (README "Replication and recovery").
    public func leaveLogToReplicator() { replicatorOwnsLog.store(true, ordering: .relaxed) }

    /// Runs `body` on an idle reader connection (waiting for one), outside any write transaction.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        idleReaders.lock()
        while idle.isEmpty { idleReaders.wait() }
        let index = idle.removeLast()
        idleReaders.unlock()
        defer {
            idleReaders.lock()
            idle.append(index)
            idleReaders.signal()
            idleReaders.unlock()
        }
        let reader = readers[index]
        try reader.execute("BEGIN")
        defer { try? reader.execute("COMMIT") }
        return try body(reader)
    }
}

/// One caller's body waiting for, or running in, a batch. `isFinished` is only touched under the queue's lock;
/// `failure` and the body's result only by the leader before it sets `isFinished`, and by the caller after.
private final class PendingWrite: @unchecked Sendable {
    let durable: Bool
    /// Whether its caller runs at the background priority (`BackgroundPriority`).
    let background: Bool
    let run: (Connection) throws -> Void
    var isFinished = false
    /// Signalled when the body's batch is durable, or when its caller is to lead the next batch. A signal may
    /// come when the caller no longer needs it (it led meanwhile): the caller checks its state on each wake.
    let wake = DispatchSemaphore(value: 0)
    var failure: (any Error)?

    init(durable: Bool, run: @escaping (Connection) throws -> Void) {
        self.durable = durable
        self.background = BackgroundPriority.isCallingThreadLowered
        self.run = run
    }
}
