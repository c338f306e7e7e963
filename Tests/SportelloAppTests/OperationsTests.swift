import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloApp

/// What a `sportello` command did.
struct CommandRun {
    let status: Int32
    let output: String
    let errors: String
}

/// Runs the built `sportello` with these arguments, in a clean environment plus `environment`.
func runSportello(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try sportelloExecutable())
    process.arguments = arguments
    process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandRun(
        status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
        errors: String(decoding: errorData, as: UTF8.self))
}

/// The sysadmin's side: logs, health, metrics, backups, safety rails, command-line manners.
@Suite(.serialized) struct OperationsTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-ops-\(UUID().uuidString)")
        .path

    var common: [String] {
        [
            "--templates", repositoryRoot.appendingPathComponent("site-templates").path,
            "--output", "\(folder)/output", "--database", "\(folder)/db.sqlite",
        ]
    }
    var fixtureConfig: String { FixtureComune.configurationPath() }

    func sportello(
        _ arguments: [String], config: String? = nil, environment: [String: String] = [:], commonOptions: Bool = true
    ) throws -> CommandRun {
        try runSportello(
            arguments + (commonOptions ? common + ["--config", config ?? fixtureConfig] : []), environment: environment)
    }

    /// Books `count` future slots of "residenza" straight in the store; returns the codes and the slots.
    func bookFuture(_ store: BookingStore, site: LoadedSite, count: Int) throws -> [(code: String, slot: Slot)] {
        let residenza = try #require(site.catalogue.service(id: "residenza"))
        let now = currentInstant()
        let today = RomeTime.local(now).date
        let day = try #require((2...20).map { today.adding(days: $0) }.first { residenza.slots(on: $0).count >= count })
        return try residenza.slots(on: day).prefix(count).enumerated().map { index, slot in
            let hold = try store.placeHold(
                slot: SlotRef(serviceID: "residenza", start: slot.startInstant), capacity: 1, now: now,
                expiresAt: now + 600, clientIP: "192.0.2.7"
            ).value
            let details = PersonDetails(
                givenName: "Anna", familyName: "Verdi",
                codiceFiscale: ["RSSMRA85T10A562S", "BNCLRA70A41H501B", "VRDNNA80A41H501D"][index % 3],
                email: "anna@example.it", phone: "", notes: "")
            return (
                try store.confirm(
                    holdToken: hold.token, person: details, slotEnd: slot.endInstant, now: now, clientIP: "192.0.2.7"
                ).value.code, slot
            )
        }
    }

    func loadedSite(config: String? = nil) throws -> LoadedSite {
        try LoadedSite(options: try Options(parsing: common + ["--config", config ?? fixtureConfig]))
    }

    /// The fixture configuration changed by `change` (on the parsed JSON), written next to the database.
    func changedConfig(_ change: (inout [String: Any]) -> Void) throws -> String {
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtureConfig)))
                as? [String: Any])
        change(&json)
        let path = "\(folder)/changed.json"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: Backups

    @Test func aBackupTakenWhileServingRestoresEveryBookingAfterTheDatabaseIsDestroyed() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let site = try loadedSite()
        let database = try Database(path: "\(folder)/db.sqlite")
        let store = BookingStore(database: database)
        let booked = try bookFuture(store, site: site, count: 3)
        // The database stays open (as under serve) while the backup is taken.
        let backup = try sportello(["backup", "\(folder)/copy.sqlite"])
        #expect(backup.status == 0, "\(backup.errors)")
        #expect(backup.output.contains("backed up"))
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/copy.sqlite")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: "\(folder)/db.sqlite\(suffix)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/db.sqlite"))
        let restored = try sportello(["restore", "\(folder)/copy.sqlite"])
        #expect(restored.status == 0, "\(restored.errors)")
        let reopened = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        for (index, (code, slot)) in booked.enumerated() {
            let booking = try #require(
                try reopened.booking(
                    code: code, codiceFiscale: ["RSSMRA85T10A562S", "BNCLRA70A41H501B", "VRDNNA80A41H501D"][index]))
            #expect(booking.slot.start == slot.startInstant && booking.state == .booked)
        }
        #expect(try sportello(["restore", "\(folder)/missing.sqlite"]).status == 1)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: "\(folder)/junk.sqlite"))
        let junk = try sportello(["restore", "\(folder)/junk.sqlite"])
        #expect(junk.status == 1 && junk.errors.contains("junk.sqlite"))
    }

    @Test func restoreAndASecondServeAreRefusedWhileTheDatabaseIsLocked() throws {
        defer { TemporaryFolder.removeTree(folder) }
        _ = try Database(path: "\(folder)/db.sqlite")
        #expect(try sportello(["backup", "\(folder)/copy.sqlite"]).status == 0)
        let lock = try DatabaseLock.acquire(databasePath: "\(folder)/db.sqlite")
        let refused = try sportello(["restore", "\(folder)/copy.sqlite"])
        #expect(refused.status == 1 && refused.errors.contains("in use by another sportello serve"))
        let serve = try sportello(["serve", "--port", "0"])
        #expect(serve.status == 1 && serve.errors.contains("in use by another sportello serve"))
        #expect(throws: MaintenanceError.self) { try DatabaseLock.acquire(databasePath: "\(folder)/db.sqlite") }
        lock.release()
        #expect(try sportello(["restore", "\(folder)/copy.sqlite"]).status == 0)
    }

    // MARK: Safety rails

    @Test func purgeRefusesTheFutureAndDryRunChangesNothing() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let site = try loadedSite()
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let booked = try bookFuture(store, site: site, count: 1)
        let future = RomeTime.local(booked[0].slot.endInstant).date.adding(days: 1)
        let refused = try sportello(["purge", "--before", future.description])
        #expect(refused.status == 2 && refused.errors.contains("in the future"))
        let dry = try sportello(["purge", "--before", RomeTime.local(currentInstant()).date.description, "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("dry run") && dry.output.contains("nothing was changed"))
        #expect(try store.booking(code: booked[0].code, codiceFiscale: "RSSMRA85T10A562S")?.person.givenName == "Anna")
        // A real run says everything it erased, the citizens' unused accounts too.
        let run = try sportello(["purge", "--before", RomeTime.local(currentInstant()).date.description])
        #expect(run.status == 0 && run.output.contains("0 unused accounts"))
        // The store refuses too, whoever calls it.
        #expect(throws: BookingError.self) {
            try store.purge(before: currentInstant() + 86_400, now: currentInstant(), actor: "test")
        }
        #expect(try store.booking(code: booked[0].code, codiceFiscale: "RSSMRA85T10A562S")?.person.givenName == "Anna")
    }

    @Test func checkDatabaseListsTheBookingsANewConfigurationStrands() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let site = try loadedSite()
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let booked = try bookFuture(store, site: site, count: 2)
        let unchanged = try sportello(["check", "--database"])
        #expect(unchanged.status == 0 && unchanged.output.contains("every confirmed appointment still fits"))

        let day = RomeTime.local(booked[0].slot.startInstant).date
        let closed = try changedConfig { json in
            var closures = json["closures"] as? [[String: Any]] ?? []
            closures.append(["date": day.description, "reason": "Disinfestazione"])
            json["closures"] = closures
        }
        let check = try sportello(["check", "--database"], config: closed)
        #expect(check.status == 1)
        #expect(
            check.output.contains(booked[0].code) && check.output.contains(booked[1].code)
                && check.output.contains("closed on \(day)"))
        #expect(!check.output.contains("Anna"))  // codes, not people
        let build = try sportello(["build"], config: closed)
        #expect(
            build.status == 0 && build.errors.contains("stranded_bookings") && build.errors.contains(booked[0].code))

        // A removed service strands its bookings too.
        let removed = try Commands.strandedBookings(
            site: try loadedSite(
                config: try changedConfig { json in
                    json["services"] = (json["services"] as? [[String: Any]] ?? []).map { office in
                        var office = office
                        if let children = office["children"] as? [[String: Any]] {
                            office["children"] = children.filter { $0["id"] as? String != "residenza" }
                        }
                        return office
                    }
                }), store: store, now: currentInstant())
        #expect(
            Set(removed.map(\.code)) == Set(booked.map(\.code))
                && removed.allSatisfy { $0.reason.contains("no longer exists") })
    }

    @Test func aBuildOverUnchangedInputsChecksOnlyTheBookingsMadeSinceButStaysExact() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let site = try loadedSite()
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let booked = try bookFuture(store, site: site, count: 1)
        let lastID = try store.database.read { try $0.scalarInt("SELECT MAX(id) FROM bookings") }
        let clean = try sportello(["build"])
        #expect(clean.status == 0 && !clean.errors.contains("stranded_bookings"), "\(clean.errors)")
        #expect(try store.lastCleanStrandedCheck()?.lastBookingID == lastID)

        // Another configuration: every booking is read again, the one made before the record too.
        let day = RomeTime.local(booked[0].slot.startInstant).date
        let closed = try changedConfig { json in
            let closures = json["closures"] as? [[String: Any]] ?? []
            json["closures"] = closures + [["date": day.description, "reason": "Disinfestazione"]]
        }
        let warned = try sportello(["build"], config: closed)
        #expect(warned.status == 0 && warned.errors.contains(booked[0].code), "\(warned.errors)")
        #expect(try store.lastCleanStrandedCheck() == nil)
        #expect(try sportello(["build"], config: closed).errors.contains(booked[0].code))

        // Back to the first configuration: clean again. A booking moved (here by hand) to a time no slot starts
        // drops the record with the move, so the next build reads every booking and warns about it.
        #expect(!(try sportello(["build"]).errors.contains("stranded_bookings")))
        #expect(try store.lastCleanStrandedCheck() != nil)
        for shift in [60, -60] {
            try store.database.write { connection in
                try connection.execute(
                    "UPDATE bookings SET slot_start = slot_start + ?, slot_end = slot_end + ? WHERE code = ?",
                    .int(Int64(shift)), .int(Int64(shift)), .text(booked[0].code))
            }
            #expect(try store.lastCleanStrandedCheck() == nil)
            #expect(try sportello(["build"]).errors.contains(booked[0].code) == (shift > 0))
        }
        #expect(try store.lastCleanStrandedCheck() != nil)
        // A booking put in by hand at a time no slot starts is read (it came after the record) and warned about
        // at every build until it is dealt with.
        try store.database.write { connection in
            try connection.execute(
                """
                INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, updated_at)
                VALUES ('HANDMADE1', 'residenza', ?, ?, 'booked', ?, ?)
                """,
                .int(booked[0].slot.startInstant + 60), .int(booked[0].slot.endInstant + 60), .int(currentInstant()),
                .int(currentInstant()))
        }
        for _ in 0..<2 {
            let build = try sportello(["build"])
            #expect(build.status == 0 && build.errors.contains("HANDMADE1"), "\(build.errors)")
        }
    }

    @Test func aFullBuildRemovesPagesOfRemovedServicesAndLanguagesOnly() throws {
        defer { TemporaryFolder.removeTree(folder) }
        #expect(try sportello(["build"]).status == 0)
        let output = "\(folder)/output"
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/residenza/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/en/servizi/residenza/index.html"))
        try Data("mine".utf8).write(to: URL(fileURLWithPath: "\(output)/en/robots-note.txt"))
        let smaller = try changedConfig { json in
            var comune = json["comune"] as? [String: Any] ?? [:]
            comune["languages"] = ["it"]
            json["comune"] = comune
            // English texts are errors once English is not a language of the site.
            func italianOnly(_ entries: [[String: Any]]) -> [[String: Any]] {
                entries.filter { $0["id"] as? String != "residenza" }.map { entry in
                    var entry = entry
                    entry["translations"] = nil
                    if let children = entry["children"] as? [[String: Any]] {
                        entry["children"] = italianOnly(children)
                    }
                    return entry
                }
            }
            json["services"] = italianOnly(json["services"] as? [[String: Any]] ?? [])
        }
        #expect(try sportello(["build"], config: smaller).status == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(output)/servizi/residenza"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/en/servizi"))
        #expect(!FileManager.default.fileExists(atPath: "\(output)/en/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/en/robots-note.txt"))  // not Sportello's: kept
        #expect(FileManager.default.fileExists(atPath: "\(output)/servizi/carta-identita/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(output)/index.html"))
    }

    // MARK: Command-line manners

    @Test func everyCommandHasHelpAndUsageErrorsExitTwo() throws {
        defer { TemporaryFolder.removeTree(folder) }
        for command in [
            "serve", "build", "check", "deliver", "outbox", "backup", "restore", "audit", "operator", "agenda",
            "outcome",
            "cancel-booking", "block", "unblock", "purge", "stats",
        ] {
            let help = try sportello([command, "--help"], commonOptions: false)
            #expect(help.status == 0 && help.output.contains("sportello \(command)"), "\(command): \(help.errors)")
        }
        let version = try sportello(["--version"], commonOptions: false)
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.status == 0 && version.output == "sportello \(file)\n" && file == sportelloVersion)
        #expect(try sportello([], commonOptions: false).status == 2)
        #expect(try sportello(["frobnicate"], commonOptions: false).status == 2)
        let typo = try sportello(["check", "--confg", "x.json"])
        #expect(typo.status == 2 && typo.errors.contains("unknown option --confg"))
        #expect(try sportello(["serve", "--port", "99999"]).status == 2)
        #expect(try sportello(["backup"]).status == 2)
        #expect(try sportello(["check", "--explain", "no-such-service"]).status == 2)
        // A stray argument is refused instead of ignored (`serve extra` used to start serving).
        let stray = try sportello(["build", "extra"])
        #expect(stray.status == 2 && stray.errors.contains("unexpected argument \"extra\""), "\(stray.errors)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/output/index.html"))
        #expect(try sportello(["backup", "a.sqlite", "b.sqlite"]).status == 2)
        // An unknown option given last is called unknown, not an option missing its value.
        let last = try sportello(["build", "--nope"], commonOptions: false)
        #expect(last.status == 2 && last.errors.contains("unknown option --nope"), "\(last.errors)")
        let missing = try sportello(["audit", "--since"], commonOptions: false)
        #expect(missing.status == 2 && missing.errors.contains("--since needs a value"), "\(missing.errors)")
        // A malformed value is wrong usage too (it exited 1, as if the command had failed).
        for arguments in [
            ["purge", "--before", "2026-13-45"], ["audit", "--since", "yesterday"], ["stats", "--from", "x"],
            ["outcome", "ABC"], ["unblock", "x"],
        ] {
            let run = try sportello(arguments)
            #expect(run.status == 2, "\(arguments): \(run.status) \(run.errors)")
        }
    }

    @Test func theEnvironmentLetsCommandsRunFromAnywhere() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let root = repositoryRoot.path
        let check = try sportello(["check"], environment: ["SPORTELLO_ROOT": root], commonOptions: false)
        #expect(check.status == 0 && check.output.contains("\(root)/sportello.json: ok"))
        let config = try sportello(
            ["check"], environment: ["SPORTELLO_CONFIG": fixtureConfig, "SPORTELLO_ROOT": "/nonexistent"],
            commonOptions: false)
        #expect(config.status == 1 && config.errors.contains("/nonexistent/site-templates"))
        // A missing configuration says how to point at it, not Foundation's "The operation could not be completed".
        let missing = try sportello(["check"], environment: ["SPORTELLO_ROOT": "/nonexistent"], commonOptions: false)
        #expect(
            missing.status == 1 && missing.errors.contains("/nonexistent/sportello.json: there is no such file")
                && missing.errors.contains("SPORTELLO_ROOT") && !missing.errors.contains("could not be completed"),
            "\(missing.errors)")
        let options = try Options(
            parsing: ["--output", "/tmp/o"],
            environment: ["SPORTELLO_ROOT": "/srv/sportello", "SPORTELLO_DATABASE": "/var/lib/s.sqlite"])
        #expect(
            options.configPath == "/srv/sportello/sportello.json" && options.outputPath == "/tmp/o"
                && options.databasePath == "/var/lib/s.sqlite")
        #expect(throws: Options.UsageError.self) {
            try Options(parsing: [], environment: ["SPORTELLO_LOG_FORMAT": "xml"])
        }
    }

    @Test func operatorsCanBeEnabledAgainAndGetANewToken() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let added = try sportello(["operator", "add", "anna", "--scope", "anagrafe"])
        let token = try #require(extract("op[0-9]+-[0-9a-f]{32}", from: added.output))
        #expect(try sportello(["operator", "disable", "anna"]).status == 0)
        #expect(try sportello(["agenda", "--token", token]).status == 1)
        #expect(try sportello(["operator", "enable", "anna"]).status == 0)
        #expect(try sportello(["agenda", "--token", token]).status == 0)
        let renewed = try sportello(["operator", "token", "anna"])
        let fresh = try #require(extract("op[0-9]+-[0-9a-f]{32}", from: renewed.output))
        #expect(fresh != token)
        #expect(try sportello(["agenda", "--token", token]).status == 1)
        #expect(try sportello(["agenda", "--token", fresh]).status == 0)
        let taken = try sportello(["operator", "add", "anna", "--scope", "anagrafe"])
        #expect(taken.status == 1 && taken.errors.contains("already exists") && !taken.errors.contains("nameTaken"))
        #expect(try sportello(["operator", "token", "nessuno"]).errors.contains("no operator with this name"))
        let audit = try sportello(["audit", "--actor", "cli"])
        #expect(
            audit.status == 0 && audit.output.contains("operator.enable\tanna")
                && audit.output.contains("operator.token\tanna"))
        // --limit keeps the latest entries (it kept the oldest), still printed oldest first.
        let latest = try sportello(["audit", "--actor", "cli", "--limit", "2"])
        #expect(
            latest.output.split(separator: "\n").map { $0.split(separator: "\t").dropFirst(2).joined(separator: " ") }
                == ["operator.enable anna", "operator.token anna"], "\(latest.output)")
    }

    @Test func explainShowsWhereEachSettingComesFrom() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let text = try Commands.explain(site: try loadedSite(), id: "carta-identita")
        #expect(text.contains("address") && text.contains("inherited from anagrafe"))
        #expect(text.contains("slotMinutes") && text.contains("set here"))
        #expect(text.contains("slots per day"))
        #expect(throws: Options.UsageError.self) { try Commands.explain(site: try loadedSite(), id: "anagrafe") }
    }

    @Test func thePortTakenIsSaidInWords() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let blocker = HTTPServer(port: 0, responder: HTTPClosureResponder { _ in .text(200, "ok") })
        try blocker.start()
        defer { blocker.stop() }
        let serve = try sportello(["serve", "--port", String(blocker.port)])
        #expect(serve.status == 1)
        #expect(serve.errors.contains("the port is already in use") && !serve.errors.contains("errno"))
    }

    // MARK: Health, metrics, logs

    @Test func healthAnswersGETAndSaysWhenDegraded() throws {
        let site = try RunningSite(now: rome("2026-11-25", "08:00"))
        defer { site.stop() }
        let health = try site.request("GET", "/api/health")
        #expect(health.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any])
        #expect(body["status"] as? String == "ok")
        #expect((body["outbox"] as? [String: Any])?["backlog"] as? Int == 0)
        #expect((body["database"] as? [String: Any])?["ok"] as? Bool == true)
        // Everything else under /api/ stays POST-only; health takes no POST.
        #expect(try site.request("GET", "/api/holds").status == 405)
        let post = try site.request("POST", "/api/health")
        #expect(post.status == 405)
        site.application.queue.health.failed(at: 100, error: "Permission denied")
        let degraded = try site.request("GET", "/api/health")
        #expect(
            degraded.status == 503 && degraded.body.contains("publisher") && degraded.body.contains("Permission denied")
        )
        site.application.queue.health.succeeded(at: 200)
        #expect(try site.request("GET", "/api/health").status == 200)
        let metrics = site.application.metricsExposition()
        #expect(metrics.contains("sportello_requests_total{kind=\"api\",status=\"2xx\"} "))
        #expect(metrics.contains("sportello_refusals_total{reason=\"method_not_allowed\"} 2"))
        #expect(metrics.contains("sportello_outbox_backlog 0"))
    }

    @Test func failedDeliveriesAreCountedInTheMetrics() throws {
        let start = rome("2026-11-25", "08:00")
        let site = try RunningSite(now: start) { $0.notifications.sendmailPath = "/bin/false" }
        defer { site.stop() }
        #expect(site.application.metricsExposition().contains("sportello_notification_failures_total 0"))
        let residenza = try #require(site.application.site.catalogue.service(id: "residenza"))
        let slot = try #require(
            (2...20).lazy.compactMap { residenza.slots(on: RomeTime.local(start).date.adding(days: $0)).first }.first)
        let hold = try site.store.placeHold(
            slot: SlotRef(serviceID: "residenza", start: slot.startInstant), capacity: 1, now: start,
            expiresAt: start + 600, clientIP: "192.0.2.7"
        ).value
        let person = PersonDetails(
            givenName: "Anna", familyName: "Verdi", codiceFiscale: "RSSMRA85T10A562S", email: "anna@example.it",
            phone: "", notes: "")
        _ = try site.store.confirm(
            holdToken: hold.token, person: person, slotEnd: slot.endInstant, now: start, clientIP: "192.0.2.7",
            policy: BookingPolicy(messages: MessagePolicy(email: true, sms: false)))
        // sendmail refuses the confirmation mail: the pass counts it (it used to stay 0 whatever failed).
        let report = site.application.notificationWorker.deliverDue()
        #expect(report.failed + report.dead == 1)
        #expect(site.application.metricsExposition().contains("sportello_notification_failures_total 1"))
    }

    @Test func theAccessLogHasOneLinePerRequestWithoutPersonalData() throws {
        let lines = Locked<[String]>([])
        let capture = Log.capture { line in lines.withLock { $0.append(line) } }
        defer { Log.endCapture(capture) }
        let site = try RunningSite(now: rome("2026-11-25", "08:00")) { $0.comune.baseURL = "http://127.0.0.1:8080" }
        defer { site.stop() }
        site.application.enableAccessLog()
        _ = try site.request("GET", "/servizi/carta-identita/?codice=SEGRETO")
        let refused = try site.request(
            "POST", "/api/holds", form: ["service": "carta-identita", "slot": "1"], origin: "http://localhost:8080")
        #expect(refused.status == 403)
        // The same origin written differently (case, default port) is the same origin.
        let normal = try site.request(
            "POST", "/api/holds", form: ["service": "carta-identita", "slot": String(rome("2026-11-26", "09:10"))],
            json: true, origin: "HTTP://127.0.0.1:8080")
        #expect(normal.status == 201)
        let logged = lines.withLock { $0 }
        let page = try #require(
            logged.first { $0.contains("event=request") && $0.contains("path=/servizi/carta-identita/") })
        #expect(
            page.contains("method=GET") && page.contains("status=200") && page.contains("client=127.0.0.0/24")
                && page.contains("ms="))
        #expect(
            !logged.contains { $0.contains("SEGRETO") || $0.contains("127.0.0.1 ") || $0.contains("client=127.0.0.1") })
        let origin = try #require(logged.first { $0.contains("reason=bad_origin") })
        #expect(origin.contains("origin=http://localhost:8080") && origin.contains("expected=http://127.0.0.1:8080"))
        #expect(logged.contains { $0.contains("event=request") && $0.contains("status=201") })
    }
}

extension OperationsTests {
    @Test func sighupReloadsAValidConfigurationAndKeepsServingOnABrokenOne() throws {
        defer { TemporaryFolder.removeTree(folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = "\(folder)/sportello.json"
        try FileManager.default.copyItem(atPath: fixtureConfig, toPath: config)
        let log = "\(folder)/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let probe = HTTPServer(port: 0, responder: HTTPClosureResponder { _ in .text(200, "") })
        try probe.start()
        let port = probe.port
        probe.stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sportelloExecutable())
        process.arguments = ["serve", "--port", String(port), "--config", config] + common
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        func logged() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        func waitFor(_ condition: () -> Bool) -> Bool {
            for _ in 0..<300 where !condition() { usleep(50_000) }
            return condition()
        }
        func starts() -> Int { logged().components(separatedBy: "event=started").count - 1 }
        #expect(waitFor { starts() == 1 })

        try Data("{ \"comune\": { ,\n".utf8).write(to: URL(fileURLWithPath: config))
        kill(process.processIdentifier, SIGHUP)
        #expect(waitFor { logged().contains("event=reload_failed") })
        #expect(logged().contains("line 1, column 15") && process.isRunning && starts() == 1)

        try FileManager.default.removeItem(atPath: config)
        try FileManager.default.copyItem(atPath: fixtureConfig, toPath: config)
        kill(process.processIdentifier, SIGHUP)
        #expect(waitFor { starts() == 2 })
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

extension OperationsTests {
    @Test func rootIsStoppedFromWritingIntoAnotherUsersInstallation() throws {
        defer { TemporaryFolder.removeTree(folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/output", withIntermediateDirectories: true)
        guard geteuid() == 0 else { return }  // only root can hand a folder to another user, and only root is refused
        #expect(chown("\(folder)/output", 65_534, 65_534) == 0)
        let build = try sportello(["build"])
        #expect(build.status == 1 && build.errors.contains("you are root, but \(folder)/output belongs to"))
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/output/index.html"))
        #expect(chown("\(folder)/output", 0, 0) == 0)
        #expect(try sportello(["build"]).status == 0)
    }
}
