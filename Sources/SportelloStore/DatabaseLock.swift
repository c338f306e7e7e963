import CSQLite
import Foundation
import Glibc

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
                """
                the database \(databasePath) is in use by another sportello \
                serve\(holder.isEmpty ? "" : " (process \(holder))"). Stop it first (systemctl stop sportello), or \
                give this one its own --database.
                """
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
