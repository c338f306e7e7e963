import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A value bound to, or read from, an SQL statement.
public enum SQLValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByNilLiteral
{
    case int(Int64)
    case text(String)
    case double(Double)
    case null

    /// A string literal binds as text.
    public init(stringLiteral value: String) { self = .text(value) }
    /// An integer literal binds as an integer.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `nil` binds as SQL NULL.
    public init(nilLiteral: ()) { self = .null }
    /// Optional text: nil binds as NULL.
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// Optional integer: nil binds as NULL.
    public init(_ value: Int64?) { self = value.map { .int($0) } ?? .null }
    /// A Swift `Int` binds as a 64-bit integer.
    public init(_ value: Int) { self = .int(Int64(value)) }
}

/// A failure of the database (SQLite, or the disk under it). It stays this error all the way to the answer
/// (503 `storage_error`, logged): never turned into "not found" or "nothing left".
public struct DatabaseError: Error, CustomStringConvertible, Sendable, Equatable, CodedError {
    /// SQLite's (extended) result code, or `SQLITE_ERROR` for a failure that is not SQLite's.
    public let code: Int32
    /// SQLite's message, for the log.
    public let message: String
    /// The statement that failed ("" when none), for the log.
    public let sql: String

    /// An error as SQLite reported it.
    public init(code: Int32, message: String, sql: String) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// `error` as a database failure: itself when it is one, else (a failure inside a transaction's body that
    /// is not SQLite's) described under the generic SQLite error code.
    public init(_ error: any Error) {
        self = error as? DatabaseError ?? DatabaseError(code: SQLITE_ERROR, message: "\(error)", sql: "")
    }

    /// Rows that contradict what the schema and the code guarantee (a value no version writes, a row gone
    /// inside its own transaction).
    public static func inconsistent(_ what: String) -> DatabaseError {
        DatabaseError(code: SQLITE_MISMATCH, message: what, sql: "")
    }

    /// Always `storage`: the answer is 503, whatever SQLite said.
    public var errorCode: ErrorCode { .storage }

    /// Code, message and statement, for the log (never shown to citizens).
    public var description: String { "SQLite error \(code): \(message)\(sql.isEmpty ? "" : " (in: \(sql))")" }
    /// A UNIQUE, CHECK or FOREIGN KEY failure: the callers that expect one turn it into their own answer.
    public var isConstraintViolation: Bool { code & 0xFF == SQLITE_CONSTRAINT }
}

// SQLite copies bound text at once.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with its prepared-statement cache. Only used inside `Database.read`/`write`,
/// which serialise access, so it is never shared between threads at the same time.
public final class Connection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String, readOnly: Bool) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw DatabaseError(code: status, message: "\(message): \(path)", sql: "")
        }
        self.handle = handle
        // busy_timeout first, so that switching to WAL waits for another process instead of failing.
        try execute("PRAGMA busy_timeout = 5000")
        if !readOnly { try execute("PRAGMA journal_mode = WAL") }
        try execute("PRAGMA foreign_keys = ON")
        try execute("PRAGMA synchronous = FULL")
        // Erased personal data is overwritten in the file, not just unlinked from the b-tree.
        if !readOnly { try execute("PRAGMA secure_delete = ON") }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    func error(_ status: Int32, _ sql: String) -> DatabaseError {
        DatabaseError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    private func prepared(_ sql: String, _ arguments: [SQLValue]) throws -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
        } else {
            var fresh: OpaquePointer?
            let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &fresh, nil)
            guard status == SQLITE_OK, let fresh else { throw error(status, sql) }
            statements[sql] = fresh
            statement = fresh
        }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        for (index, argument) in arguments.enumerated() {
            let position = Int32(index + 1)
            let status: Int32
            switch argument {
            case .int(let value): status = sqlite3_bind_int64(statement, position, value)
            case .double(let value): status = sqlite3_bind_double(statement, position, value)
            case .text(let value): status = sqlite3_bind_text(statement, position, value, -1, sqliteTransient)
            case .null: status = sqlite3_bind_null(statement, position)
            }
            guard status == SQLITE_OK else { throw error(status, sql) }
        }
        return statement
    }

    /// Runs a statement that returns no rows (or whose rows are ignored).
    public func execute(_ sql: String, _ arguments: SQLValue...) throws {
        try execute(sql, arguments: arguments)
    }

    /// Runs a statement with its arguments as an array (for callers that build the argument list).
    public func execute(_ sql: String, arguments: [SQLValue]) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        var status = sqlite3_step(statement)
        while status == SQLITE_ROW { status = sqlite3_step(statement) }
        guard status == SQLITE_DONE else { throw error(status, sql) }
    }

    /// Calls `body` for each row; the row is only valid during the call.
    public func forEach(_ sql: String, _ arguments: SQLValue..., body: (Row) throws -> Void) throws {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error(status, sql) }
            try body(Row(statement: statement))
        }
    }

    /// The first row mapped by `transform`, or nil.
    public func first<T>(_ sql: String, _ arguments: SQLValue..., transform: (Row) throws -> T) throws -> T? {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        if status == SQLITE_DONE { return nil }
        guard status == SQLITE_ROW else { throw error(status, sql) }
        return try transform(Row(statement: statement))
    }

    /// The first column of the first row as an integer (`count(*)` and the like); no row is an error.
    public func scalarInt(_ sql: String, _ arguments: SQLValue...) throws -> Int64 {
        let statement = try prepared(sql, arguments)
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW else {
            throw status == SQLITE_DONE ? DatabaseError(code: status, message: "no row", sql: sql) : error(status, sql)
        }
        return sqlite3_column_int64(statement, 0)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// Row id of the last INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs a script of several statements (migrations), without caching.
    func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        if status != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite3_free(message)
            throw DatabaseError(code: status, message: text, sql: sql)
        }
    }
}

/// A result row: typed access by column index.
public struct Row {
    let statement: OpaquePointer

    /// The column as a 64-bit integer (0 for NULL).
    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    /// The column as a double (0 for NULL).
    public func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    /// Whether the column is SQL NULL.
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    /// The column as text ("" for NULL).
    public func text(_ column: Int32) -> String { optionalText(column) ?? "" }
    /// The column as text, nil for NULL.
    public func optionalText(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: pointer)
    }
    /// The column as an integer, nil for NULL.
    public func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
}

/// Files that hold personal data or secrets (the database, the delivery spool): only the service's user may
/// read them, whatever the umask. Existing files and folders keep the modes an administrator gave them.
public enum PrivateFiles {
    /// A file or folder that could not be made private, said in words.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What failed and why (the path and `strerror`).
        public let description: String
    }

    /// Creates `path` (and missing parents) with mode 0700; an existing folder is left as it is.
    public static func makeFolder(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolder(parent) }
        if mkdir(path, 0o700) == 0 {
            chmod(path, 0o700)
        } else if errno != EEXIST {
            throw Failure(description: "cannot create the folder \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates an empty file with mode 0600 unless it exists.
    public static func makeFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            fchmod(descriptor, 0o600)
            close(descriptor)
        } else if errno != EEXIST {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `bytes` to a new or emptied file with mode 0600.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// Overwrites a file's bytes with zeros, then removes it: a secret does not stay readable in the freed
    /// blocks through the file system (a copy-on-write or flash disk may still keep it; see README "Security").
    public static func shred(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor >= 0 {
            var info = stat()
            if fstat(descriptor, &info) == 0, info.st_size > 0, info.st_size < 1 << 24 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, zeros.count, 0) }
                fsync(descriptor)
            }
            close(descriptor)
        }
        unlink(path)
    }
}

/// The one SQLite wrapper: one writer connection (writes group-committed, see `write`) and a few
/// reader connections (WAL lets each read a consistent snapshot while the writer works), so request
/// handlers and the publishers do not queue behind one another to read.
public final class Database: @unchecked Sendable {
    // @unchecked: the writer and `writerIsFull` are only touched under `writeLock` (held by the leader of a
    // batch); the queue and the leader's identity only under `queueState`; a reader only by the caller that
    // took its index from `idleReaders`.
    private let writer: Connection
    private let readers: [Connection]
    private let writeLock = NSLock()
    private var writerIsFull = true
    private let idleReaders: NSCondition = NSCondition()
    private var idle: [Int]
    /// The database file, also where backups, the lock and `secrets/` are placed beside.
    public let path: String
    private let commits = Atomic<Int>(0)
    private let replicatorOwnsLog = Atomic<Bool>(false)
    private let queueState = NSCondition()
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
                        queueState.wait()
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
            for pending in batch { pending.isFinished = true }
            queueState.broadcast()
        }
        leaderIsActive = false
        leaderThread = nil
        if !queued.isEmpty { queueState.broadcast() }
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
    let run: (Connection) throws -> Void
    var isFinished = false
    var failure: (any Error)?

    init(durable: Bool, run: @escaping (Connection) throws -> Void) {
        self.durable = durable
        self.run = run
    }
}
