import CSQLite
import Foundation
import Glibc

/// A problem with a backup, a restore or the serve lock, said in words.
public struct MaintenanceError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do, for the command line.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// One `serve` per database: an exclusive `flock` on `<database>.lock`, held for the life of the process
/// (the kernel drops it when the process dies, so a crash never leaves a stale lock). `restore` takes it
/// too, so it cannot replace a database under a running server.
public final class DatabaseLock: Sendable {
    private let descriptor: Int32
    /// The lock file, `<database>.lock`.
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Where the lock file of the database at `databasePath` lives.
    public static func lockPath(databasePath: String) -> String { databasePath + ".lock" }

    /// Takes the lock without waiting; fails naming the holding process when another serve has it.
    public static func acquire(databasePath: String) throws(MaintenanceError) -> DatabaseLock {
        let path = lockPath(databasePath: databasePath)
        let folder = (path as NSString).deletingLastPathComponent
        // The lock is taken before the database opens: its folder is the database's, private (0700) from the start.
        if !folder.isEmpty {
            do { try PrivateFiles.makeFolder(folder) } catch { throw MaintenanceError("\(error)") }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw MaintenanceError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? ""
            close(fd)
            throw MaintenanceError(
                "the database \(databasePath) is in use by another sportello serve\(holder.isEmpty ? "" : " (process \(holder))"). Stop it first (systemctl stop sportello), or give this one its own --database."
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return DatabaseLock(descriptor: fd, path: path)
    }

    /// Gives the lock up before the process ends (restore hands the database back this way).
    public func release() {
        _ = flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }
}

/// Copies with SQLite's online backup API: a consistent snapshot even while `serve` keeps writing (in WAL
/// mode the copy reads a snapshot and does not block the writer).
public enum DatabaseBackup {
    /// Writes a consistent copy of the database at `source` to `destination` (replaced atomically; 0600:
    /// it holds personal data). Does not migrate or otherwise change the source.
    public static func backup(from source: String, to destination: String) throws(MaintenanceError) {
        guard FileManager.default.fileExists(atPath: source) else {
            throw MaintenanceError("there is no database at \(source)")
        }
        let folder = (destination as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            // A backup holds the same personal data as the database: a private folder.
            do { try PrivateFiles.makeFolder(folder) } catch {
                throw MaintenanceError("cannot create the folder \(folder): \(error)")
            }
        }
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        // Made 0600 before SQLite writes a byte into it, whatever the umask.
        do { try PrivateFiles.makeFile(temporary) } catch { throw MaintenanceError("\(error)") }
        do {
            let from = try open(source, flags: SQLITE_OPEN_READONLY)
            defer { sqlite3_close_v2(from) }
            let to = try open(temporary, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            defer { sqlite3_close_v2(to) }
            chmod(temporary, 0o600)
            try copy(from: from, to: to, what: "\(source) → \(destination)")
            // A backup is one file: no -wal beside it to lose when it is copied elsewhere.
            sqlite3_exec(to, "PRAGMA journal_mode = DELETE", nil, nil, nil)
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw MaintenanceError("cannot write \(destination): \(reason)")
        }
    }

    /// Replaces the database at `databasePath` with the backup at `source`, after checking the backup is a
    /// sound Sportello database no newer than this program. The caller holds the serve lock.
    public static func restore(from source: String, into databasePath: String) throws(MaintenanceError) {
        let version = try check(source)
        guard version <= Migrations.scripts.count else {
            throw MaintenanceError(
                "\(source) was written by a newer Sportello (schema \(version), this one knows \(Migrations.scripts.count)); upgrade first"
            )
        }
        do {
            let from = try open(source, flags: SQLITE_OPEN_READONLY)
            defer { sqlite3_close_v2(from) }
            let to = try open(databasePath, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            defer { sqlite3_close_v2(to) }
            sqlite3_busy_timeout(to, 5000)
            try copy(from: from, to: to, what: "\(source) → \(databasePath)")
            sqlite3_exec(to, "PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil)
        }
        chmod(databasePath, 0o600)
    }

    /// The schema version this program upgrades a database to.
    public static var currentSchemaVersion: Int { Migrations.scripts.count }

    /// The schema version of a database, without checking it (nil when there is none yet or it cannot be read).
    public static func schemaVersion(_ path: String) -> Int? {
        guard FileManager.default.fileExists(atPath: path), let handle = try? open(path, flags: SQLITE_OPEN_READONLY)
        else { return nil }
        defer { sqlite3_close_v2(handle) }
        return scalarText(handle, "PRAGMA user_version").flatMap { Int($0) }
    }

    /// The schema version of a backup, after SQLite's integrity check.
    public static func check(_ path: String) throws(MaintenanceError) -> Int {
        guard FileManager.default.fileExists(atPath: path) else { throw MaintenanceError("there is no file \(path)") }
        let handle = try open(path, flags: SQLITE_OPEN_READONLY)
        defer { sqlite3_close_v2(handle) }
        guard let result = scalarText(handle, "PRAGMA quick_check"), result == "ok" else {
            throw MaintenanceError("\(path) is not a sound SQLite database (quick_check failed); choose another backup")
        }
        guard scalarText(handle, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'bookings'") != nil
        else {
            throw MaintenanceError("\(path) is not a Sportello database (it has no bookings table)")
        }
        return Int(scalarText(handle, "PRAGMA user_version") ?? "0") ?? 0
    }

    /// Before a migration changes the schema: a copy into `backups/` beside the database, keeping the newest `keep`.
    static func backupBeforeMigration(databasePath: String, fromVersion: Int, keep: Int = 5) throws {
        let folder = ((databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "backups")
        let name = (databasePath as NSString).lastPathComponent
        let stamp = Int64(Date().timeIntervalSince1970)
        let destination = (folder as NSString).appendingPathComponent("\(name).schema\(fromVersion).\(stamp).bak")
        do { try backup(from: databasePath, to: destination) } catch {
            throw MaintenanceError(
                "the database needs an upgrade, but the backup before it failed, so nothing was changed: \(error)")
        }
        let prefix = "\(name).schema"
        // Pruning old backups is housekeeping: failing to list them keeps more than `keep`, nothing worse.
        let old = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".bak") }
            .sorted { stampOf($0) > stampOf($1) }
        for file in old.dropFirst(keep) { unlink((folder as NSString).appendingPathComponent(file)) }
    }

    private static func stampOf(_ file: String) -> Int64 {
        Int64(file.split(separator: ".").dropLast().last ?? "") ?? 0
    }

    private static func open(_ path: String, flags: Int32) throws(MaintenanceError) -> OpaquePointer {
        var handle: OpaquePointer?
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            throw MaintenanceError("cannot open \(path): \(message)")
        }
        return handle
    }

    private static func copy(from: OpaquePointer, to: OpaquePointer, what: String) throws(MaintenanceError) {
        guard let backup = sqlite3_backup_init(to, "main", from, "main") else {
            throw MaintenanceError("cannot copy \(what): \(String(cString: sqlite3_errmsg(to)))")
        }
        var status: Int32
        repeat {
            // In slices, so a long copy lets a writing serve in between.
            status = sqlite3_backup_step(backup, 256)
            if status == SQLITE_BUSY || status == SQLITE_LOCKED { usleep(20_000) }
        } while status == SQLITE_OK || status == SQLITE_BUSY || status == SQLITE_LOCKED
        sqlite3_backup_finish(backup)
        guard status == SQLITE_DONE else {
            throw MaintenanceError("cannot copy \(what): \(String(cString: sqlite3_errstr(status)))")
        }
    }

    private static func scalarText(_ handle: OpaquePointer, _ sql: String) -> String? {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else { return nil }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
        return String(cString: text)
    }
}

extension BookingStore {
    /// A confirmed appointment still to come, as `check --database` needs it: no personal data.
    public struct UpcomingBooking: Sendable, Equatable {
        /// The booking code, to look the booking up.
        public let code: String
        /// The catalogue id of its service.
        public let serviceID: String
        /// Start of the appointment, unix seconds.
        public let start: Int64
        /// End of the appointment, unix seconds.
        public let end: Int64
    }

    /// Confirmed bookings starting at or after `now` (bounded: the check reads at most `limit`).
    public func upcomingBookings(from now: Int64, limit: Int = 1_000_000) throws -> [UpcomingBooking] {
        try database.read { connection in
            var result: [UpcomingBooking] = []
            try connection.forEach(
                "SELECT code, service_id, slot_start, slot_end FROM bookings WHERE state = 'booked' AND slot_start >= ? ORDER BY slot_start, code LIMIT ?",
                .int(now), .int(Int64(limit))
            ) { row in
                result.append(
                    UpcomingBooking(code: row.text(0), serviceID: row.text(1), start: row.int(2), end: row.int(3)))
            }
            return result
        }
    }
}

extension BookingStore {
    /// How many bookings `purge(before:)` would anonymise, for `purge --dry-run`.
    public func purgeCandidates(before: Int64) throws -> Int {
        try database.read {
            Int(
                try $0.scalarInt(
                    "SELECT COUNT(*) FROM bookings WHERE slot_end < ? AND anonymized_at IS NULL", .int(before)))
        }
    }
}
