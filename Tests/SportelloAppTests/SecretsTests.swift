import Foundation
import SportelloCore
import SportelloHTTP
import SportelloNotify
import SportelloStore
import SportelloTesting
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
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                paths.append(path)
            }
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
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sendmailPath = "/bin/true"
                $0.notifications.sms = true
                $0.notifications.smsCommand = ["/bin/true"]
            })
        defer { site.stop() }
        let anna = [
            "nome": "Anna", "cognome": "Bianchi", "codice_fiscale": "BNCLRA70A41H501B", "email": "anna@example.it",
            "cellulare": "3471234567",
        ]
        #expect(try site.post("/api/accounts", anna).status == 202)
        let names = try site.store.database.read { connection in
            var names: [String] = []
            try connection.forEach("SELECT payload FROM outbox WHERE kind = 'credentials'") { row in
                let payload =
                    (try? JSONSerialization.jsonObject(with: Data(row.text(0).utf8))) as? [String: String] ?? [:]
                #expect(payload["password"] == nil)
                if let name = payload[SecretFiles.payloadKey] { names.append(name) }
            }
            return names
        }
        #expect(names.count == 1)  // one message, to the verified contact only
        let secrets = SecretFiles(database: site.store.database)
        let password = try #require(names.first.flatMap { secrets.read($0) })
        #expect(password.count == 10)
        // Before delivery only the private secret files hold it, never the database or its log.
        let before = filesContaining(password, in: site.folder)
        #expect(!before.isEmpty && before.allSatisfy { $0.hasSuffix(".secret") }, "\(before)")
        for path in before { #expect(mode(path) == 0o600) }

        let report = site.application.notifier.deliverDue(clock: { self.now })
        #expect(report.delivered == 1)
        try site.store.database.checkpoint()
        #expect(filesContaining(password, in: site.folder).isEmpty, "\(filesContaining(password, in: site.folder))")
        #expect(
            try site.post("/api/login", ["codice_fiscale": anna["codice_fiscale"] ?? "", "password": password]).status
                == 200)
    }

    @Test func aMessageGivenUpDropsItsSecret() throws {
        let site = try RunningSite(
            now: now,
            configure: {
                $0.notifications.sendmailPath = "/bin/false"
                $0.notifications.maxAttempts = 1
            })
        defer { site.stop() }
        let mario = [
            "nome": "Mario", "cognome": "Rossi", "codice_fiscale": "RSSMRA85T10A562S", "email": "mario@example.it",
            "cellulare": "3331234567",
        ]
        #expect(try site.post("/api/accounts", mario).status == 202)
        let secrets = SecretFiles(database: site.store.database)
        #expect(files(under: secrets.folder).count == 1)
        let report = site.application.notifier.deliverDue(clock: { self.now })
        #expect(report.dead == 1)
        #expect(files(under: secrets.folder).isEmpty)
    }

    @Test func privateFilesWhateverTheUmask() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-modes-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let database = try Database(path: "\(folder)/var/sportello.sqlite")
        try database.write { try $0.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'test', 'test')") }
        #expect(mode("\(folder)/var") == 0o700)
        for suffix in ["", "-wal", "-shm"] {
            #expect(mode("\(folder)/var/sportello.sqlite\(suffix)") == 0o600, "\(suffix)")
        }
        let courier = Courier(spool: "\(folder)/var/spool", timeout: 5)
        // The program leaves the spool as it found it (the files of a delivery in progress), so their modes can be seen.
        let outcome = courier.deliver(
            Array("secret".utf8), id: 7,
            command: [
                "/bin/sh", "-c", "ls -l \"$0\"/ > \"$0\"/listing; cat \"$0\"/message-7.lock > \"$0\"/mark",
                "\(folder)/var/spool",
            ],
            onStart: { _ in })
        #expect(outcome == .delivered)
        #expect(mode("\(folder)/var/spool") == 0o700)
        let listing = try String(contentsOfFile: "\(folder)/var/spool/listing", encoding: .utf8)
        let lines = listing.split(separator: "\n").filter { $0.contains("message-7") }
        // The lock, which holds the "started" mark while the program runs; the message itself went through a
        // pipe, so no spool file holds it.
        #expect(lines.contains { $0.hasSuffix("message-7.lock") }, "\(listing)")
        #expect(lines.count == 1, "\(listing)")
        #expect((try? String(contentsOfFile: "\(folder)/var/spool/mark", encoding: .utf8)) == "started\n")
        #expect(!listing.contains("message-7.message"), "\(listing)")
        for line in lines { #expect(line.hasPrefix("-rw-------"), "\(line)") }
        let secrets = SecretFiles(database: database)
        let name = try secrets.store("Ab3dEf7hKm")
        #expect(mode(secrets.folder) == 0o700 && mode("\(secrets.folder)/\(name).secret") == 0o600)
    }
}

extension SecretsTests {
    /// Regression: `serve` takes its lock before opening the database, and the lock made `var/` with the umask's
    /// mode (0777 under umask 000, 0755 usually); a backup's folder likewise.
    @Test func theLockAndTheBackupMakePrivateFoldersWhateverTheUmask() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-lockmode-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(folder) }
        let previous = umask(0)
        defer { umask(previous) }
        let lock = try DatabaseLock.acquire(databasePath: "\(folder)/var/sportello.sqlite")
        defer { lock.release() }
        #expect(mode("\(folder)/var") == 0o700 && mode(lock.path) == 0o600)
        let database = try Database(path: "\(folder)/var/sportello.sqlite")
        try database.write { try $0.execute("INSERT INTO audit (at, actor, action) VALUES (1, 'test', 'test')") }
        try DatabaseBackup.backup(from: "\(folder)/var/sportello.sqlite", to: "\(folder)/backups/copy.sqlite")
        #expect(mode("\(folder)/backups") == 0o700 && mode("\(folder)/backups/copy.sqlite") == 0o600)
    }
}

/// Operators' sign-in: a random session in the cookie (never the permanent token), ended by logout; scope on
/// every action including statistics; the same time for unknown and known operators.
@Suite(.serialized) struct OperatorSessionTests {
    let now = rome("2026-11-25", "08:00")

    func cookie(_ reply: Reply) -> String? {
        (reply.headers["Set-Cookie"] as? String).map { String($0.prefix { $0 != ";" }) }
    }

    /// Regression: wrong operator tokens had no limit of their own (each costs a yescrypt check, so a flood kept
    /// the workers hashing); a script with its right token is never slowed.
    @Test func wrongOperatorTokensAreLimitedPerClient() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let wrong = try (1...12).map { _ in
            try site.post(
                "/api/operator/agenda", [:], json: true,
                headers: ["Authorization": "Bearer op1-" + String(repeating: "0", count: 32)]
            ).status
        }
        #expect(wrong.prefix(10).allSatisfy { $0 == 401 } && wrong.suffix(2).allSatisfy { $0 == 429 }, "\(wrong)")
        // The same client's sign-in with a wrong token is refused too; another client is not.
        #expect(try site.post("/api/operator/login", ["token": "x"], json: true).status == 429)
        #expect(
            try site.post(
                "/api/operator/login", ["token": "x"], json: true, headers: ["X-Forwarded-For": "198.51.100.4"]
            ).status == 401)
        let right = try (1...15).map { _ in
            try site.post(
                "/api/operator/agenda", [:], json: true,
                headers: [
                    "Authorization": "Bearer \(token)",
                    "X-Forwarded-For": "198.51.100.5",
                ]
            ).status
        }
        #expect(right.allSatisfy { $0 == 200 }, "\(right)")
    }

    @Test func theCookieIsASessionThatLogoutEnds() throws {
        let site = try RunningSite(now: now)
        defer { site.stop() }
        let (_, token) = try site.application.operators.create(name: "anna", scope: ["anagrafe"], now: now)
        let login = try site.post("/api/operator/login", ["token": token])
        #expect(login.status == 200)
        let session = try #require(cookie(login))
        #expect(
            session.hasPrefix("sportello_operator=") && !session.contains(token)
                && !session.contains(String(token.suffix(32))))
        // Only the id's digest is stored.
        let id = String(session.dropFirst("sportello_operator=".count))
        let stored = try site.store.database.read {
            try $0.scalarInt("SELECT COUNT(*) FROM operator_sessions WHERE id_hash = ?", .text(SHA256.hexDigest(id)))
        }
        let cleartext = try site.store.database.read {
            try $0.scalarInt("SELECT COUNT(*) FROM operator_sessions WHERE id_hash = ?", .text(id))
        }
        #expect(stored == 1 && cleartext == 0)
        #expect(try site.post("/api/operator/agenda", [:], headers: ["Cookie": session]).status == 200)
        // The permanent token no longer works as a cookie.
        #expect(
            try site.post("/api/operator/agenda", [:], headers: ["Cookie": "sportello_operator=\(token)"]).status == 401
        )
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
        let scoped = try site.post(
            "/api/operator/stats", ["token": anagrafe, "from": "2026-11-01", "to": "2026-11-30"])
        #expect(
            scoped.status == 200 && scoped.body.contains("\"residenza\"") && !scoped.body.contains("\"imu\""),
            "\(scoped.body)")
        let all = try site.post("/api/operator/stats", ["token": everything, "from": "2026-11-01", "to": "2026-11-30"])
        #expect(all.body.contains("\"residenza\"") && all.body.contains("\"imu\""))
    }

    /// A refusal does not tell which operators exist: an unknown operator's token, a known one's with a wrong secret
    /// and a malformed token each cost one check of a yescrypt hash with the cost of an operator's real one (the
    /// decoy's), so they take as long. Measured as the CPU time of the thread that runs them: a loaded machine
    /// stretched the wall time of whichever path it preempted (this test failed under load), while what a path
    /// computes stays what it costs. Each path is held to the cost of one direct check of the operator's stored
    /// hash, interleaved with them: a path that skipped the check would cost a hundredth of one.
    @Test func unknownOperatorsTakeAsLongAsKnownOnes() throws {
        let folder = try TemporaryFolder(prefix: "sportello-timing")
        defer { folder.remove() }
        let database = try Database(path: "\(folder.path)/db.sqlite")
        let operators = OperatorStore(database: database)
        let (account, _) = try operators.create(name: "anna", scope: ["*"], now: now)
        let stored = try #require(
            try database.read {
                try $0.first("SELECT token_hash FROM operators WHERE id = ?", .int(account.id)) { $0.text(0) }
            })
        let wrong = "op\(account.id)-" + String(repeating: "0", count: 32)
        let unknown = "op\(account.id + 1000)-" + String(repeating: "0", count: 32)
        #expect(try operators.authenticate(token: unknown) == nil)  // the decoy hash is made once
        // Interleaved, so anything that slows the processor (another process's cache use) slows all alike.
        var oneCheck: [Double] = []
        var known: [Double] = []
        var missing: [Double] = []
        var malformed: [Double] = []
        for _ in 0..<3 {
            oneCheck.append(
                ThreadCPUTime.median(3) { _ = PasswordHasher.verify(String(repeating: "0", count: 32), hash: stored) })
            known.append(try ThreadCPUTime.median(3) { _ = try operators.authenticate(token: wrong) })
            missing.append(try ThreadCPUTime.median(3) { _ = try operators.authenticate(token: unknown) })
            malformed.append(try ThreadCPUTime.median(3) { _ = try operators.authenticate(token: "nonsense") })
        }
        let check = oneCheck.sorted()[1]
        #expect(check > 0)
        for (path, times) in [("known, wrong secret", known), ("unknown", missing), ("malformed", malformed)] {
            let cost = times.sorted()[1]
            #expect(cost > check / 2 && cost < check * 2, "\(path): \(cost) s of CPU, one hash check \(check) s")
        }
    }
}

@Suite struct CSVTests {
    @Test func italianExcelFormat() {
        let line = CSV.line(["a", "b;c", "say \"hi\"", "two\nlines\r\nhere", "tab\there"])
        #expect(line == "\"a\";\"b;c\";\"say \"\"hi\"\"\";\"two lines  here\";\"tab here\"\r\n")
        #expect(CSV.decimal(0.25, digits: 3) == "0,250")
    }

    @Test func formulasAreNeutralisedInEveryCell() {
        for payload in [
            "=1+1", "+39 333", "-2+3", "@SUM(A1)", "  =HYPERLINK(\"x\")", "\t=1", "\r=1", "\n=cmd|' /C calc'!A0",
            "＝1+1",
        ] {
            let cell = CSV.line([payload])
            // The cell as a spreadsheet reads it: unquoted, then leading spaces skipped.
            let text = String(cell.dropFirst().dropLast(3)).replacingOccurrences(of: "\"\"", with: "\"")
            #expect(text.hasPrefix("'"), "\(payload) -> \(cell)")
            #expect(!text.contains("\n") && !text.contains("\r") && !text.contains("\t"))
        }
        #expect(CSV.line(["Rossi"]) == "\"Rossi\"\r\n")
    }

    /// Regression: only plain spaces were skipped before the formula check, so an invisible or unusual blank
    /// in front of `=` (typed in the notes) reached the spreadsheet unneutralised.
    @Test func formulasBehindInvisibleOrUnusualBlanksAreNeutralised() {
        for payload in [
            "\u{FEFF}=1+1", "\u{200B}=1", "\u{00A0}=1", "\u{3000}＝1", "\u{2007}+1", "\u{202F}-1", "\u{2060}@A1",
            " \u{200D} =1",
        ] {
            let text = String(CSV.line([payload]).dropFirst().dropLast(3))
            #expect(text.hasPrefix("'"), "\(payload.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        #expect(CSV.line(["\u{00A0}Rossi"]) == "\"\u{00A0}Rossi\"\r\n")
    }

    @Test func exportsStartWithAByteOrderMark() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-csv-\(UUID().uuidString)")
            .path
        defer { TemporaryFolder.removeTree(folder) }
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let text = try OperatorController.statisticsCSV(
            store: store, from: CivilDate(iso: "2026-11-01")!,
            to: CivilDate(iso: "2026-11-30")!, services: nil)
        #expect(text.hasPrefix("\u{FEFF}\"servizio\";\"prenotazioni\";") && text.hasSuffix("\r\n"))
    }
}

/// Identity headers from the authenticating proxy: believed only with the secret it shares with Sportello.
@Suite(.serialized) struct ProxySecretTests {
    let now = rome("2026-11-25", "08:00")
    let spid = [
        "X-Identity-Fiscal-Number": "TINIT-RSSMRA85T10A562S", "X-Identity-Given-Name": "Mario",
        "X-Identity-Family-Name": "Rossi",
    ]

    @Test func identityHeadersWithoutTheSecretAreIgnored() throws {
        var proxy = IdentityHeaders()
        proxy.proxySecretHeader = "X-Proxy-Key"
        proxy.proxySecret = "0123456789abcdef0123456789abcdef"
        let site = try RunningSite(now: now, configure: { $0.identity = proxy })
        defer { site.stop() }
        // From loopback (a trusted address), with no secret, a wrong one, one of another length, or in the default header.
        for extra in [
            [:], ["X-Proxy-Key": "0123456789abcdef0123456789abcdeX"], ["X-Proxy-Key": "0123456789abcdef"],
            ["X-Sportello-Proxy-Secret": "0123456789abcdef0123456789abcdef"],
        ] {
            let forged = try site.post("/api/my-bookings", [:], headers: spid.merging(extra) { $1 })
            #expect(forged.status == 401 && !forged.body.contains("Mario"), "\(extra)")
        }
        let genuine = try site.post(
            "/api/my-bookings", [:], headers: spid.merging(["X-Proxy-Key": proxy.proxySecret]) { $1 })
        #expect(genuine.status == 200 && genuine.body.contains("Mario Rossi"))
    }

    @Test func identityNeedsASecretInTheConfiguration() throws {
        let text = try String(contentsOfFile: FixtureComune.configurationPath(), encoding: .utf8)
        func load(_ identity: String) -> String? {
            let edited = text.replacingOccurrences(
                of: "\n  \"services\":", with: "\n  \"identity\": \(identity),\n  \"services\":")
            do {
                _ = try SiteConfiguration.parse(Data(edited.utf8))
                return nil
            } catch { return "\(error)" }
        }
        #expect(load("{}")?.contains("proxySecret") == true)
        #expect(load("{\"proxySecret\": \"short\"}")?.contains("at least 16") == true)
        #expect(load("{\"proxySecret\": \"0123456789abcdef0123\"}") == nil)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-secret-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(file) }
        try "0123456789abcdef0123\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(load("{\"proxySecretFile\": \"\(file)\", \"proxySecretHeader\": \"X-Key\"}") == nil)
        #expect(load("{\"proxySecretFile\": \"/nonexistent/secret\"}")?.contains("cannot read") == true)
    }
}

/// `sportello serve` alone sends the security headers nginx adds, and the deploy files hold what they promise.
@Suite(.serialized) struct HeadersAndDeployTests {
    let now = rome("2026-11-25", "08:00")

    func deployFile(_ name: String) throws -> String {
        try String(contentsOfFile: repositoryRoot.appendingPathComponent("deploy/\(name)").path, encoding: .utf8)
    }

    @Test func serveSendsTheSameSecurityHeadersAsNginx() throws {
        // The one definition matches deploy/sportello-site.conf, header by header.
        let site = try deployFile("sportello-site.conf")
        for (name, value) in SecurityHeaders.all {
            #expect(site.contains("add_header \(name) \"\(value)\" always;"), "\(name)")
            for api in ["sportello-api.conf", "nginx-identity.conf"] {
                #expect(try deployFile(api).contains("proxy_hide_header \(name);"), "\(api): \(name)")
            }
        }
        let running = try RunningSite(now: now)
        defer { running.stop() }
        let answers = [
            try running.request("GET", "/"), try running.request("GET", "/assets/sportello.css"),
            try running.request("GET", "/no-such-page"),
            try running.request("GET", "/api/holds"),
            try running.post("/api/holds", ["service": "nessuno", "slot": "1"]),
            try running.post("/api/holds", ["service": "nessuno", "slot": "1"], json: true),
        ]
        for reply in answers {
            for (name, value) in SecurityHeaders.all {
                #expect(
                    reply.headers[name] as? String == value,
                    "\(reply.status) \(name): \(String(describing: reply.headers[name]))")
            }
        }
    }

    @Test func deployFilesRedirectToTheConfiguredNameAndAllowEveryConnection() throws {
        let nginx = try deployFile("nginx.conf")
        #expect(
            !nginx.contains("$host$request_uri")
                && nginx.contains("return 301 https://prenota.comune.example.it$request_uri;"))
        let unit = try deployFile("sportello.service")
        let limit = unit.split(separator: "\n").first { $0.hasPrefix("LimitNOFILE=") }.flatMap {
            Int($0.dropFirst("LimitNOFILE=".count))
        }
        #expect((limit ?? 0) >= HTTPLimits().maxConnections + 256)
        // The gateway's sub-request never sees identity headers a client sent; only the endpoint's request carries the secret.
        let identity = try deployFile("nginx-identity.conf")
        let subrequest = try #require(
            identity.range(of: "location = /_identity {").map {
                String(identity[$0.lowerBound...].prefix { $0 != "}" })
            })
        for header in [
            "X-Identity-Fiscal-Number", "X-Identity-Given-Name", "X-Identity-Family-Name", "X-Identity-Email",
            "X-Identity-Mobile",
            "X-Sportello-Proxy-Secret",
        ] {
            #expect(subrequest.contains("proxy_set_header \(header) \"\";"), "\(header)")
        }
        #expect(
            identity.components(
                separatedBy: "proxy_set_header X-Sportello-Proxy-Secret \"REPLACE-WITH-THE-PROXY-SECRET\";"
            ).count == 2)
    }
}

@Suite struct FileOwnershipTests {
    @Test func foldersOfAnotherUserOrOpenToOthersAreReported() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sportello-owner-\(UUID().uuidString)"
        ).path
        defer { TemporaryFolder.removeTree(folder) }
        try PrivateFiles.makeFolder("\(folder)/var")
        try FileManager.default.createDirectory(atPath: "\(folder)/output", withIntermediateDirectories: true)
        #expect(FileOwnership.warnings(output: "\(folder)/output", data: "\(folder)/var").isEmpty)
        // As seen by another user: both folders are someone else's.
        let other = FileOwnership.warnings(output: "\(folder)/output", data: "\(folder)/var", user: geteuid() &+ 4242)
        #expect(other.count == 2 && other.allSatisfy { $0.contains("belongs to") })
        chmod("\(folder)/var", 0o755)
        #expect(
            FileOwnership.warnings(output: "\(folder)/output", data: "\(folder)/var").first?.contains("chmod 700")
                == true)
    }
}
