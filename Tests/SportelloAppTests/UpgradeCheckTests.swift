import Foundation
import SportelloApp
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloStore

extension OperationsTests {
    /// The upgrade steps run the new program's `check --database` while the old serve still runs on the
    /// database: it used to upgrade the schema in place under that serve. It now checks an upgraded copy and
    /// leaves the database (and `backups/`) as they were; serve upgrades it when it starts.
    @Test func checkDatabaseDoesNotUpgradeTheDatabaseInPlace() throws {
        defer { TemporaryFolder.removeTree(folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/db.sqlite"
        do {
            let old = try Connection(path: path, readOnly: false)
            try old.executeScript(Migrations.scripts[0])
            let start = currentInstant() + 3 * 86_400
            try old.execute(
                """
                INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, updated_at)
                VALUES ('OLDSCHEMA', 'ufficio-chiuso', ?, ?, 'booked', 0, 0)
                """, .int(start), .int(start + 1_800))
            try old.execute("PRAGMA user_version = 1")
        }
        let check = try sportello(["check", "--database"])
        #expect(check.status == 1, "\(check.errors)")
        #expect(
            check.output.contains("schema 1") && check.output.contains("OLDSCHEMA")
                && check.output.contains("no longer exists"), "\(check.output)")
        let after = try Connection(path: path, readOnly: true)
        #expect(try after.scalarInt("PRAGMA user_version") == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/backups"))
        // build (as serve) upgrades it, after a copy, and says so in its log.
        let build = try sportello(["build"])
        #expect(build.status == 0, "\(build.errors)")
        #expect(
            build.errors.contains("event=database_upgraded")
                && build.errors.contains("from=1 to=\(Migrations.scripts.count)"), "\(build.errors)")
        #expect(try after.scalarInt("PRAGMA user_version") == Int64(Migrations.scripts.count))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/backups").count == 1)
    }
}
