import Foundation
import SportelloCore
import SportelloNotify
import SportelloStore
import Testing
@testable import SportelloApp

/// Secrets at rest: private files whatever the umask, and no cleartext password left anywhere on disk once
/// its message is handed over.
@Suite(.serialized) struct SecretsTests {
    let now = rome("2026-11-25", "08:00")

    /// Every regular file under `folder`, recursively.
    func files(under folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var paths: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            let path = "\(folder)/\(relative)"
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue { paths.append(path) }
        }
        return paths
    }

    func mode(_ path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return -1 }
        return Int(info.st_mode & 0o777)
    }

    /// Which files (outside the published pages) contain `secret`.
    func filesContaining(_ secret: String, in folder: String) -> [String] {
        files(under: folder).filter { !$0.contains("/output/") }.filter { path in
            guard let data = FileManager.default.contents(atPath: path) else { return false }
            return data.range(of: Data(secret.utf8)) != nil
        }
    }

    @Test func noCleartextPasswordOnDiskAfterHandOver() throws {
        let site = try RunningSite(now: now, configure: {
            $0.notifications.sendmailPath = "/bin/true"
            $0.notifications.sms = true
            $0.notifications.smsCommand = ["/bin/true"]
        })
        defer { site.stop() }
        let anna = ["nome": "Anna", "cognome": "Bianchi", "codice_fiscale": "BNCLRA70A41H501B", "email": "anna@example.it", "cellulare": "3471234567"]
        #expect(try site.post("/api/accounts", anna).status == 202)
        let names = try site.store.database.read { connection in
            var names: [String] = []
            try connection.forEach("SELECT payload FROM outbox WHERE kind = 'credentials'") { row in
                let payload = (try? JSONSerialization.jsonObject(with: Data(row.text(0).utf8))) as? [String: String] ?? [:]
                #expect(payload["password"] == nil)
                if let name = payload[SecretFiles.payloadKey] { names.append(name) }
            }
            return names
        }
        #expect(names.count == 2)  // mail and SMS, each its own file
        let secrets = SecretFiles(database: site.store.database)
        let password = try #require(names.first.flatMap { secrets.read($0) })
        #expect(password.count == 10)
        // Before delivery only the private secret files hold it, never the database or its log.
        let before = filesContaining(password, in: site.folder)
        #expect(!before.isEmpty && before.allSatisfy { $0.hasSuffix(".secret") }, "\(before)")
        for path in before { #expect(mode(path) == 0o600) }

        let report = site.application.notifier.deliverDue(clock: { self.now })
        #expect(report.delivered == 2)
        try site.store.database.checkpoint()
        #expect(filesContaining(password, in: site.folder).isEmpty, "\(filesContaining(password, in: site.folder))")
        #expect(try site.post("/api/login", ["codice_fiscale": anna["codice_fiscale"] ?? "", "password": password]).status == 200)
    }

    @Test func aMessageGivenUpDropsItsSecret() throws {
        let site = try RunningSite(now: now, configure: { $0.notifications.sendmailPath = "/bin/false"; $0.notifications.maxAttempts = 1 })
        defer { site.stop() }
        let mario = ["nome": "Mario", "cognome": "Rossi", "codice_fiscale": "RSSMRA85T10A562S", "email": "mario@example.it", "cellulare": "3331234567"]
        #expect(try site.post("/api/accounts", mario).status == 202)
        let secrets = SecretFiles(database: site.store.database)
        #expect(files(under: secrets.folder).count == 1)
        let report = site.application.notifier.deliverDue(clock: { self.now })
        #expect(report.dead == 1)
        #expect(files(under: secrets.folder).isEmpty)
    }

    @Test func privateFilesWhateverTheUmask() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-modes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let database = try Database(path: "\(folder)/var/sportello.sqlite")
        try database.write { try $0.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'test', 'test')") }
        #expect(mode("\(folder)/var") == 0o700)
        for suffix in ["", "-wal", "-shm"] { #expect(mode("\(folder)/var/sportello.sqlite\(suffix)") == 0o600, "\(suffix)") }
        let courier = Courier(spool: "\(folder)/var/spool", timeout: 5)
        // The program leaves the spool as it found it (the files of a delivery in progress), so their modes can be seen.
        let outcome = courier.deliver(Array("secret".utf8), id: 7, command: ["/bin/sh", "-c", "ls -l \"$0\"/ > \"$0\"/listing", "\(folder)/var/spool"],
                                      onStart: { _ in })
        #expect(outcome == .delivered)
        #expect(mode("\(folder)/var/spool") == 0o700)
        let listing = try String(contentsOfFile: "\(folder)/var/spool/listing", encoding: .utf8)
        let lines = listing.split(separator: "\n").filter { $0.contains("message-7") }
        #expect(lines.count >= 3, "\(listing)")
        for line in lines { #expect(line.hasPrefix("-rw-------"), "\(line)") }
        let secrets = SecretFiles(database: database)
        let name = try secrets.store("Ab3dEf7hKm")
        #expect(mode(secrets.folder) == 0o700 && mode("\(secrets.folder)/\(name).secret") == 0o600)
    }
}
