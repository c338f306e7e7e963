import Foundation
import Testing

@testable import SportelloTesting

@Suite struct TemporaryFolderTests {
    /// What a database closing on another thread does to a bench's folder while it is removed: a file listed a
    /// moment ago is gone when its turn comes (its `-shm`), and a late writer adds a file to a folder already
    /// emptied. Nothing is left (FileManager.removeItem stopped at the vanished file and left the rest).
    @Test func entriesThatVanishOrAppearDuringTheRemovalLeaveNothing() throws {
        let folder = try TemporaryFolder(prefix: "sportello-removal")
        let inner = "\(folder.path)/output/servizi"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        for name in ["db.sqlite", "db.sqlite-shm", "db.sqlite-wal"] {
            #expect(FileManager.default.createFile(atPath: "\(folder.path)/\(name)", contents: Data("x".utf8)))
        }
        #expect(FileManager.default.createFile(atPath: "\(inner)/index.html", contents: Data("x".utf8)))
        var vanished = false
        var appeared = false
        let removed = TemporaryFolder.removeTree(folder.path) { path in
            // Whichever of the database's files comes first takes the other two with it.
            if path.hasPrefix("\(folder.path)/db.sqlite"), !vanished {
                vanished = true
                for suffix in ["", "-shm", "-wal"] where "\(folder.path)/db.sqlite\(suffix)" != path {
                    unlink("\(folder.path)/db.sqlite\(suffix)")
                }
            }
            if path == folder.path, !appeared {
                appeared = true
                _ = FileManager.default.createFile(atPath: "\(folder.path)/late.html", contents: Data("x".utf8))
            }
        }
        #expect(vanished && appeared)
        #expect(removed)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    /// A folder asked to be kept (`SPORTELLO_BENCH_KEEP=1` in the benches) stays with what is in it.
    @Test func aKeptFolderStays() throws {
        let name = "sportello-kept-\(UUID().uuidString)"
        let folder = try TemporaryFolder(named: name, keep: true)
        defer { TemporaryFolder.removeTree(folder.path) }
        #expect(FileManager.default.createFile(atPath: "\(folder.path)/page.html", contents: Data("x".utf8)))
        #expect(folder.remove())
        #expect(FileManager.default.fileExists(atPath: "\(folder.path)/page.html"))
        #expect(folder.path == NSTemporaryDirectory() + name)
    }

    /// A removed folder is gone, and removing what is not there succeeds.
    @Test func aRemovedFolderIsGone() throws {
        let folder = try TemporaryFolder(prefix: "sportello-removed")
        try FileManager.default.createDirectory(atPath: "\(folder.path)/a/b", withIntermediateDirectories: true)
        #expect(folder.remove())
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(folder.remove())
    }
}
