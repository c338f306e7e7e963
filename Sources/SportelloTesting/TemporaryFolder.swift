import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A folder of its own under the temporary directory (`TMPDIR`) for a bench run or a test, removed by `remove()`.
///
/// The removal survives what runs beside it: a SQLite connection closing on another thread deletes its `-wal` and
/// `-shm` files while the folder is being emptied, and a late writer may add a file to a folder already emptied.
/// `FileManager.removeItem` gives up at the first entry that vanished under it (ENOENT) and left the database and
/// its folder behind (`sportello-endpoint-*` after every run with mail over SMTP).
public final class TemporaryFolder: Sendable {
    /// The folder's path.
    public let path: String
    /// True when `remove()` leaves the folder in place (to look at it after the run).
    public let keeps: Bool

    /// Creates `TMPDIR/name` (what an earlier process of the same name left there is removed first).
    /// `keep`: `remove()` leaves it in place.
    public init(named name: String, keep: Bool = false) throws {
        path = NSTemporaryDirectory() + name
        keeps = keep
        Self.removeTree(path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates `TMPDIR/prefix-<UUID>`: a name no other run or test has.
    public convenience init(prefix: String) throws {
        try self.init(named: "\(prefix)-\(UUID().uuidString)")
    }

    /// Removes the folder and everything in it, unless it `keeps` it. True when nothing of it is left.
    @discardableResult
    public func remove() -> Bool {
        keeps || Self.removeTree(path)
    }

    /// Removes `path` and what is under it. An entry that vanishes meanwhile counts as removed; a folder that
    /// gained an entry while it was being emptied is emptied again, a few rounds before giving up. True when
    /// nothing is left at `path`.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        removeTree(path, beforeEntry: { _ in })
    }

    /// `removeTree` with `beforeEntry` called with each path just before it is removed (tests race it there).
    static func removeTree(_ path: String, beforeEntry: (String) -> Void) -> Bool {
        for round in 0..<5 {
            if round > 0 { usleep(20_000) }
            if removeOnce(path, beforeEntry: beforeEntry) { return true }
        }
        return false
    }

    private static func removeOnce(_ path: String, beforeEntry: (String) -> Void) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            // A folder that is gone already lists as empty; its rmdir then says ENOENT.
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names { _ = removeOnce("\(path)/\(name)", beforeEntry: beforeEntry) }
            beforeEntry(path)
            return rmdir(path) == 0 || errno == ENOENT
        }
        beforeEntry(path)
        return unlink(path) == 0 || errno == ENOENT
    }
}
