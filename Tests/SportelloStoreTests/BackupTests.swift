import Foundation
import SportelloTesting
import Testing

@testable import SportelloStore

@Suite struct BackupTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-backup-\(UUID().uuidString)")
        .path

    /// `serve` takes its lock before it opens the database: the folder the lock creates is private already,
    /// whatever the umask (it was 0755 when the lock came first).
    @Test func theLockAndABackupCreateTheirFoldersPrivate() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let lock = try DatabaseLock.acquire(databasePath: "\(folder)/var/db.sqlite")
        defer { lock.release() }
        _ = try Database(path: "\(folder)/var/db.sqlite")
        try DatabaseBackup.backup(from: "\(folder)/var/db.sqlite", to: "\(folder)/copies/db.sqlite")
        for path in ["\(folder)/var", "\(folder)/copies"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
            #expect(mode == 0o700, "\(path): \(String(mode, radix: 8))")
        }
    }

    @Test func aDatabaseBehindTheSchemaIsBackedUpBeforeItsMigrationAndFewBackupsAreKept() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let path = "\(folder)/db.sqlite"
        _ = try Database(path: path)
        // A fresh database is not backed up: there is nothing to lose.
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/backups"))

        let connection = try Connection(path: path, readOnly: false)
        try connection.execute(
            "INSERT INTO audit (at, actor, action, subject, address) VALUES (1, 'cli', 'marker', 'before-upgrade', '')")
        try connection.execute("PRAGMA user_version = 1")
        try Migrations.backupBeforeUpgrade(connection, databasePath: path)
        let backups = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/backups")
        #expect(backups.count == 1 && backups[0].hasPrefix("db.sqlite.schema1."))
        let copy = try Connection(path: "\(folder)/backups/\(backups[0])", readOnly: true)
        #expect(try copy.scalarInt("SELECT COUNT(*) FROM audit WHERE action = 'marker'") == 1)
        #expect(try DatabaseBackup.check("\(folder)/backups/\(backups[0])") == 1)

        // At the current version nothing is copied.
        try connection.execute("PRAGMA user_version = \(Migrations.scripts.count)")
        try Migrations.backupBeforeUpgrade(connection, databasePath: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/backups").count == 1)

        for version in 2...8 { try DatabaseBackup.backupBeforeMigration(databasePath: path, fromVersion: version) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/backups").count == 5)
    }

    @Test func aBackupOfSomethingThatIsNotADatabaseFails() throws {
        defer { TemporaryFolder.removeTree(folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: MaintenanceError.self) {
            try DatabaseBackup.backup(from: "\(folder)/none.sqlite", to: "\(folder)/copy.sqlite")
        }
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: "\(folder)/junk.sqlite"))
        #expect(throws: MaintenanceError.self) { try DatabaseBackup.check("\(folder)/junk.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/copy.sqlite"))
    }
}

@Suite struct OutboxStateTests {
    /// A message whose mail program keeps failing is due again only at its next retry, minutes ahead: the age
    /// health reads used to stay near 0 for the two hours until the message died, so a broken sendmail never
    /// made `/api/health` degraded. It now counts from when the message first became due.
    @Test func aMessageThatKeepsFailingAgesFromItsFirstDueTime() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-outbox-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(folder) }
        let database = try Database(path: "\(folder)/db.sqlite")
        let outbox = Outbox(database: database)
        let first: Int64 = 1_800_000_000
        _ = try database.write {
            try Outbox.enqueue(
                $0, kind: .confirmed, channel: .email, recipient: "anna@example.it", bookingID: nil, language: "it",
                at: first)
        }
        // A reminder due tomorrow is not late.
        _ = try database.write {
            try Outbox.enqueue(
                $0, kind: .reminder, channel: .email, recipient: "anna@example.it", bookingID: nil, language: "it",
                at: first + 86_400)
        }
        #expect(try outbox.state(now: first).oldestDueSeconds == 0)
        let id = try #require(try outbox.list().first { $0.kind == .confirmed }?.id)
        // Each attempt fails as soon as it is due: 1, 2, 4, 8 minutes apart.
        var now = first
        for attempt in Int64(1)...5 {
            try outbox.markFailed(id: id, now: now, error: "exit status 127", maxAttempts: 8)
            #expect(
                try outbox.state(now: now).oldestDueSeconds == now - first, "between two retries the age still counts")
            now += Outbox.retryDelay(afterAttempt: attempt)
        }
        #expect(now - first == 31 * 60)
        #expect(try outbox.state(now: first + 16 * 60).oldestDueSeconds >= 15 * 60)
        #expect(try outbox.state(now: first + 16 * 60).backlog == 2)
    }
}
