import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// The `sportello` executable built next to this test bundle.
func sportelloExecutable() throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sportello")
            .path,
        repositoryRoot.appendingPathComponent(".build/debug/sportello").path,
    ]
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw TestFailure(
            "the sportello executable was not found next to the tests (\(candidates)); run `swift build` first")
    }
    return found
}

/// The state of a slot's cell on a week page: "free" when its radio button is there, otherwise the class of
/// the cell with its time in its day's section.
func cellState(page: String, slot: Int64) -> String {
    if page.contains("value=\"\(slot)\"") { return "free" }
    let local = RomeTime.local(slot)
    let time = LocalTime(minutes: local.minutes)?.description ?? ""
    guard let day = extract("<section class=\"day[^\"]*\" id=\"d-\(local.date)\">[\\s\\S]*?</section>", from: page),
        let cell = extract("<li class=\"[a-z-]+\"><b>\(time)</b>", from: day)
    else { return "missing" }
    return String(cell.dropFirst("<li class=\"".count).prefix { $0 != "\"" })
}

@Suite(.serialized) struct OperatorCommandTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-cli-\(UUID().uuidString)")
        .path

    var common: [String] {
        [
            "--config", FixtureComune.configurationPath(),
            "--templates", repositoryRoot.appendingPathComponent("site-templates").path,
            "--output", "\(folder)/output", "--database", "\(folder)/db.sqlite",
        ]
    }

    func sportello(_ arguments: [String]) throws -> CommandRun { try runSportello(arguments + common) }

    /// Books a slot straight in the store, as if a citizen had done it at `at`.
    func book(
        _ store: BookingStore, _ slot: Slot, at: Int64, codiceFiscale: String = "RSSMRA85T10A562S"
    ) throws -> String {
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "residenza", start: slot.startInstant), capacity: 1, now: at, expiresAt: at + 600,
            clientIP: "192.0.2.7"
        ).value
        let details = PersonDetails(
            givenName: "Maria Chiara", familyName: "D'Alessandro", codiceFiscale: codiceFiscale,
            email: "maria.chiara@example.it", phone: "+393331234567", notes: "Trasloco in via Garibaldi")
        return try store.confirm(
            holdToken: hold.token, person: details, slotEnd: slot.endInstant, now: at + 60, clientIP: "192.0.2.7"
        ).value.code
    }

    func databaseBytes() -> Data {
        var bytes = Data()
        for suffix in ["", "-wal"] {
            bytes.append((try? Data(contentsOf: URL(fileURLWithPath: "\(folder)/db.sqlite\(suffix)"))) ?? Data())
        }
        return bytes
    }

    @Test func everyOfficeActionFromTheCommandLineAndThePurgeErasesTheFile() throws {
        defer { TemporaryFolder.removeTree(folder) }
        #expect(try sportello(["build"]).status == 0)
        let added = try sportello(["operator", "add", "anna", "--scope", "anagrafe"])
        #expect(added.status == 0)
        let token = try #require(extract("op[0-9]+-[0-9a-f]{32}", from: added.output))
        let unknownScope = try sportello(["operator", "add", "carlo", "--scope", "ufficio-inesistente"])
        #expect(unknownScope.status == 1 && unknownScope.errors.contains("ufficio-inesistente"))
        #expect(
            try sportello(["agenda", "--token", "op1-" + String(repeating: "0", count: 32)]).errors.contains("token"))
        #expect(try sportello(["agenda", "--tokn", token]).errors.contains("unknown option --tokn"))
        let temporary = try #require(
            extract(
                "op[0-9]+-[0-9a-f]{32}", from: try sportello(["operator", "add", "tirocinante", "--scope", "*"]).output)
        )
        #expect(try sportello(["agenda", "--token", temporary]).status == 0)
        #expect(try sportello(["operator", "disable", "tirocinante"]).status == 0)
        #expect(try sportello(["agenda", "--token", temporary]).status == 1)
        #expect(try sportello(["operator", "list"]).output == "anna\tanagrafe\ntirocinante\t*\tdisabled\n")

        // Bookings made by citizens: one yesterday (or the last working day), three on a day ahead.
        let site = try LoadedSite(options: try Options(parsing: common))
        let residenza = try #require(site.catalogue.service(id: "residenza"))
        let now = currentInstant()
        let today = RomeTime.local(now).date
        let pastDay = try #require((1...10).map { today.adding(days: -$0) }.first { !residenza.slots(on: $0).isEmpty })
        let futureDay = try #require(
            (2...12).map { today.adding(days: $0) }.first { residenza.slots(on: $0).count >= 3 })
        let past = residenza.slots(on: pastDay)[0]
        let future = Array(residenza.slots(on: futureDay).prefix(3))
        let store = BookingStore(database: try Database(path: "\(folder)/db.sqlite"))
        let pastCode = try book(store, past, at: past.startInstant - 86_400)
        let futureCode = try book(store, future[0], at: now)
        let keptCode = try book(store, future[1], at: now, codiceFiscale: "BNCLRA70A41H501B")

        let agenda = try sportello(["agenda", "--token", token, "--date", futureDay.description])
        #expect(agenda.status == 0 && agenda.output.contains(futureCode) && agenda.output.contains("RSSMRA85T10A562S"))
        let csv = try sportello([
            "agenda", "--token", token, "--date", futureDay.description, "--csv", "--entry", "anagrafe",
        ])
        #expect(
            csv.output.hasPrefix("\u{FEFF}\"data\";\"ora\";\"fine\";\"servizio\";\"codice\"")
                && csv.output.contains(keptCode))

        // Outcomes: only for an appointment that has started.
        let done = try sportello(["outcome", pastCode, "done", "--token", token])
        #expect(done.status == 0 && done.output.contains("done"))
        let early = try sportello(["outcome", futureCode, "absent", "--token", token])
        #expect(early.status == 1 && early.errors.contains("Appuntamento non ancora iniziato"))

        // Cancelling: one slot reopens, one stays closed; the week page on disk says so.
        let page =
            "\(folder)/output/\(site.renderer.layout.file(.week("residenza", monday: futureDay.mondayOfWeek), language: "it"))"
        func state(_ slot: Slot) -> String {
            cellState(page: (try? String(contentsOfFile: page, encoding: .utf8)) ?? "", slot: slot.startInstant)
        }
        #expect(try sportello(["build"]).status == 0)
        #expect(state(future[0]) == "booked" && state(future[1]) == "booked" && state(future[2]) == "free")
        #expect(
            try sportello(["cancel-booking", futureCode, "--reason", "Guasto al terminale", "--token", token]).status
                == 0)
        #expect(
            try sportello([
                "cancel-booking", keptCode, "--reason", "Operatore assente", "--keep-closed", "--token", token,
            ]).status == 0)
        #expect(state(future[0]) == "free" && state(future[1]) == "unavailable")
        #expect(try store.booking(code: keptCode)?.state == .cancelledByOperator)

        // Unavailability on the third slot, then removed.
        let from = future[2].start.description
        let blocked = try sportello([
            "block", "--service", "residenza", "--date", futureDay.description, "--from", from,
            "--to", future[2].end.description, "--reason", "Formazione", "--token", token,
        ])
        #expect(blocked.status == 0)
        #expect(state(future[2]) == "unavailable")
        let blockID = try #require(extract("#[0-9]+", from: blocked.output).map { String($0.dropFirst()) })
        #expect(
            try sportello([
                "block", "--service", "imu", "--date", futureDay.description, "--from", "09:00", "--to", "10:00",
                "--token", token,
            ])
            .errors.contains("Ufficio non autorizzato"))
        #expect(try sportello(["unblock", blockID, "--token", token]).status == 0)
        #expect(state(future[2]) == "free")

        let stats = try sportello(["stats", "--from", pastDay.description, "--to", futureDay.description])
        #expect(stats.status == 0 && stats.output.contains("\"residenza\";\"3\";\"1\";\"0\";\"0\";\"2\";"))

        // The audit log says who did what from where.
        let actions = try store.database.read { connection in
            var rows: [String] = []
            try connection.forEach(
                "SELECT actor || ' ' || action || ' ' || address FROM audit WHERE actor LIKE 'operator:%' ORDER BY id"
            ) { rows.append($0.text(0)) }
            return rows
        }
        #expect(
            actions == [
                "operator:anna outcome.done cli", "operator:anna cancel.operator cli",
                "operator:anna cancel.operator cli",
                "operator:anna block.add cli", "operator:anna block.add cli", "operator:anna block.remove cli",
            ])

        // Retention: the personal data is in the file, then gone from it (not just hidden), and the counts stay.
        try store.database.checkpoint()
        let secrets = [
            "RSSMRA85T10A562S", "BNCLRA70A41H501B", "D'Alessandro", "maria.chiara@example.it", "+393331234567",
            "via Garibaldi", "192.0.2.7",
        ]
        for secret in secrets {
            #expect(databaseBytes().range(of: Data(secret.utf8)) != nil, "\(secret) should be stored before the purge")
        }
        // A date in the future is refused by the command; the purge is run as the retention job would run it
        // once those appointments are over.
        #expect(try sportello(["purge", "--before", futureDay.adding(days: 1).description]).status == 2)
        let over = OperatorDesk.bounds(of: futureDay.adding(days: 1)).0
        #expect(try store.purge(before: over, now: over, actor: "cli").bookingsErased == 3)
        for secret in secrets {
            #expect(databaseBytes().range(of: Data(secret.utf8)) == nil, "\(secret) is still in the database file")
        }
        #expect(
            try sportello(["stats", "--from", pastDay.description, "--to", futureDay.description]).output.contains(
                "\"residenza\";\"3\";\"1\";\"0\";\"0\";\"2\";"))
        #expect(
            try sportello(["agenda", "--token", token, "--date", futureDay.description]).output.contains(futureCode))
    }
}
