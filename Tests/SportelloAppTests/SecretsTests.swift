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

/// Operators' sign-in: a random session in the cookie (never the permanent token), ended by logout; scope on
/// every action including statistics; the same time for unknown and known operators.
@Suite(.serialized) struct OperatorSessionTests {
    let now = rome("2026-11-25", "08:00")

    func cookie(_ reply: Reply) -> String? {
        (reply.headers["Set-Cookie"] as? String).map { String($0.prefix { $0 != ";" }) }
    }

    @Test func theCookieIsASessionThatLogoutEnds() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let login = try site.post("/api/operator/login", ["token": token])
        #expect(login.status == 200)
        let session = try #require(cookie(login))
        #expect(session.hasPrefix("sportello_operator=") && !session.contains(token) && !session.contains(String(token.suffix(32))))
        // Only the id's digest is stored.
        let id = String(session.dropFirst("sportello_operator=".count))
        let stored = try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM operator_sessions WHERE id_hash = ?", .text(SHA256.hex(id))) }
        let cleartext = try site.store.database.read { try $0.scalarInt("SELECT COUNT(*) FROM operator_sessions WHERE id_hash = ?", .text(id)) }
        #expect(stored == 1 && cleartext == 0)
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": session]).status == 200)
        // The permanent token no longer works as a cookie.
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": "sportello_operator=\(token)"]).status == 401)
        // Logout ends the session on the server, not only in this browser.
        let logout = try site.post("/api/operator/logout", [:], headers: ["Cookie": session])
        #expect(logout.status == 303 || logout.status == 302)
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": session]).status == 401)
        // Disabling an operator ends their sessions too.
        let again = try #require(cookie(try site.post("/api/operator/login", ["token": token])))
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": again]).status == 200)
        try site.application.operators.disable(name: "anna", now: now)
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": again]).status == 401)
    }

    @Test func statisticsKeepToTheOperatorsScope() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        for (service, slot) in [("residenza", rome("2026-11-26", "08:30")), ("imu", rome("2026-11-27", "09:00"))] {
            let hold = try site.post("/api/holds", ["service": service, "slot": String(slot)], json: true)
            let token: String = try #require(extract("[0-9a-f]{32}", from: hold.body))
            var form = person
            form["hold"] = token
            form["note"] = "Rata di dicembre"
            let booked = try site.post("/api/bookings", form, json: true)
            #expect(booked.status == 201, "\(booked.body)")
        }
        let (_, anagrafe) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let (_, everything) = try site.application.operators.create(name: "capo", scope: ["*"], now: now)
        let scoped = try site.post("/api/operator/stats", ["token": anagrafe, "from": "2026-11-01", "to": "2026-11-30"])
        #expect(scoped.status == 200 && scoped.body.contains("\"residenza\"") && !scoped.body.contains("\"imu\""), "\(scoped.body)")
        let all = try site.post("/api/operator/stats", ["token": everything, "from": "2026-11-01", "to": "2026-11-30"])
        #expect(all.body.contains("\"residenza\"") && all.body.contains("\"imu\""))
    }

    /// Median of several timings of `body`, in seconds.
    func median(_ runs: Int, _ body: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[runs / 2]
    }

    @Test func unknownOperatorsTakeAsLongAsKnownOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-timing-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let operators = OperatorStore(database: try Database(path: "\(folder)/db.sqlite"))
        let (account, _) = try operators.create(name: "anna", scope: ["*"], now: now)
        let wrong = "op\(account.id)-" + String(repeating: "0", count: 32)
        let unknown = "op\(account.id + 1000)-" + String(repeating: "0", count: 32)
        _ = operators.authenticate(token: unknown)  // the decoy hash is made once
        // Interleaved, so a busy machine slows both alike.
        var known: [Double] = [], missing: [Double] = [], malformed: [Double] = []
        for _ in 0..<3 {
            known.append(median(3) { _ = operators.authenticate(token: wrong) })
            missing.append(median(3) { _ = operators.authenticate(token: unknown) })
            malformed.append(median(3) { _ = operators.authenticate(token: "nonsense") })
        }
        let k = known.sorted()[1], m = missing.sorted()[1], f = malformed.sorted()[1]
        #expect(m > k / 3 && m < k * 3, "known \(k) s, unknown \(m) s")
        #expect(f > k / 3 && f < k * 3, "known \(k) s, malformed \(f) s")
    }
}

@Suite struct CSVTests {
    @Test func italianExcelFormat() {
        let line = CSV.line(["a", "b;c", "say \"hi\"", "two\nlines\r\nhere", "tab\there"])
        #expect(line == "\"a\";\"b;c\";\"say \"\"hi\"\"\";\"two lines  here\";\"tab here\"\r\n")
        #expect(CSV.decimal(0.25, digits: 3) == "0,250")
    }

    @Test func formulasAreNeutralisedInEveryCell() {
        for payload in ["=1+1", "+39 333", "-2+3", "@SUM(A1)", "  =HYPERLINK(\"x\")", "\t=1", "\r=1", "\n=cmd|' /C calc'!A0", "＝1+1"] {
            let cell = CSV.line([payload])
            // The cell as a spreadsheet reads it: unquoted, then leading spaces skipped.
            let text = String(cell.dropFirst().dropLast(3)).replacingOccurrences(of: "\"\"", with: "\"")
            #expect(text.hasPrefix("'"), "\(payload) -> \(cell)")
            #expect(!text.contains("\n") && !text.contains("\r") && !text.contains("\t"))
        }
        #expect(CSV.line(["Rossi"]) == "\"Rossi\"\r\n")
    }

    @Test func exportsStartWithAByteOrderMark() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-csv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let text = Application.statisticsCSV(store: store, from: CivilDate(iso: "2026-11-01")!, to: CivilDate(iso: "2026-11-30")!, services: nil)
        #expect(text.hasPrefix("\u{FEFF}\"servizio\";\"prenotazioni\";") && text.hasSuffix("\r\n"))
    }
}
