import CSQLite
import Foundation
import Glibc

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
                """
                \(source) was written by a newer Sportello (schema \(version), this one knows \
                \(Migrations.scripts.count)); upgrade first
                """
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
