import Foundation
import SportelloTesting
import Testing

@testable import SportelloStore

@Suite struct DatabaseCloseTests {
    /// A process that lets go of its database leaves no write-ahead log behind: the writer closes last, checkpoints
    /// the log and removes it. With a reader closing last the log stayed, and every later start (a `sportello
    /// build`, a restart of `serve`) read all of it again before its first query.
    @Test func theLastConnectionToCloseCheckpointsAndRemovesTheLog() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-close-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(folder) }
        let path = "\(folder)/sportello.sqlite"
        do {
            let database = try Database(path: path)
            try database.write { connection in
                for index in 0..<200 {
                    try connection.execute(
                        "INSERT INTO audit (at, actor, action) VALUES (?, 'test', ?)", .int(Int64(index)),
                        .text(String(repeating: "x", count: 500)))
                }
            }
            // Every connection used once, the readers included.
            for _ in 0..<8 {
                _ = try database.read { try $0.scalarInt("SELECT count(*) FROM audit") }
            }
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        let reopened = try Database(path: path)
        #expect(try reopened.read { try $0.scalarInt("SELECT count(*) FROM audit") } == 200)
    }
}
