import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloNotify

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// The fixture comune's renderer (Tests/Fixtures/comune.json, a frozen copy of the demo), with notification settings to taste.
func demoRenderer(_ configure: (inout NotificationSettings) -> Void = { _ in }) throws -> PageRenderer {
    var configuration = try SiteConfiguration.load(
        path: repositoryRoot.appendingPathComponent("Tests/Fixtures/comune.json").path)
    configuration.notifications.from = "noreply@comune.valfiorita.example.it"
    configuration.notifications.fromName = "Comune di Valfiorita – Servizi demografici"
    configure(&configuration.notifications)
    let templates = repositoryRoot.appendingPathComponent("site-templates").path
    var translations: [String: Translations] = [:]
    for language in configuration.comune.languages {
        translations[language] = try Translations.load(directory: "\(templates)/i18n", language: language)
    }
    return PageRenderer(
        catalogue: Catalogue(configuration: configuration),
        templates: try TemplateLibrary(directory: templates, strict: true),
        translations: translations)
}

/// A folder of its own for each test, with a fake delivery program that stores what it receives.
final class Sandbox {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-notify-\(UUID().uuidString)")
        .path
    var received: String { "\(folder)/received" }

    init() throws {
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
    }

    deinit { TemporaryFolder.removeTree(folder) }

    /// A stand-in for `sendmail -t -i` (or an SMS gateway): saves standard input and the arguments, sleeps,
    /// then exits with `status` (printing `error` on standard error when it fails).
    func fakeProgram(
        named name: String, status: Int = 0, error: String = "", sleep seconds: Double = 0
    ) throws -> String {
        let path = "\(folder)/\(name)"
        let script = """
            #!/bin/sh
            file="\(received)/$(date +%s%N)-$$"
            cat > "$file.tmp"
            printf '%s\\n' "$@" > "$file.args"
            sleep \(seconds)
            mv "$file.tmp" "$file.eml"
            if [ \(status) -ne 0 ]; then echo "\(error)" >&2; fi
            exit \(status)
            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func receivedFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []).filter { $0.hasSuffix(".eml") }
            .sorted().map { "\(received)/\($0)" }
    }
}

/// Runs the independent parsers (Python's `email`, `icalendar`) installed by `.ci/setup-python`.
func parse(_ files: [String]) throws -> [[String: Any]] {
    let python = repositoryRoot.appendingPathComponent(".build/python/bin/python3").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
        throw TestFailure(
            description:
                "the Python parsers are not installed: run .ci/setup-python (the README's test command, .ci/test, does it)"
        )
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments =
        [repositoryRoot.appendingPathComponent("Tests/SportelloNotifyTests/check_messages.py").path] + files
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let results = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else {
        throw TestFailure(description: "the parser failed: \(String(decoding: data, as: UTF8.self))")
    }
    return results
}

@Suite(.serialized) struct NotifyTests {
    // A booking for Thursday 26 November 2026, 09:10 at the identity-card desk.
    let now = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 25)!, minutes: 8 * 60)!
    let slot = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 26)!, minutes: 9 * 60 + 10)!

    func book(
        _ database: Database, settings: NotificationSettings, notes: String? = "Rinnovo, documento scaduto"
    ) throws -> Booking {
        let store = BookingStore(database: database)
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: slot), capacity: 2, now: now, expiresAt: now + 600,
            clientIP: "t"
        ).value
        let person = PersonDetails(
            givenName: "Niccolò", familyName: "D'Angelo Sàez", codiceFiscale: "RSSMRA85T10A562S",
            email: "niccolo@example.it", phone: "+393331234567", notes: notes)
        return try store.confirm(
            holdToken: hold.token, person: person, slotEnd: slot + 1_200, now: now, clientIP: "t",
            policy: BookingPolicy(messages: MessagePolicy(settings))
        ).value
    }

    @Test func everyMessageParsesWithRealMIMEAndICalendarParsers() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail")
        let renderer = try demoRenderer { $0.sendmailPath = sendmail }
        let settings = renderer.catalogue.configuration.notifications
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let booking = try book(database, settings: settings)
        let store = BookingStore(database: database)
        // Cancelled by the office, with a reason; a reminder; credentials for an account.
        _ = try store.cancelByOperator(
            code: booking.code, reason: "Chiusura straordinaria: è festa, ci scusiamo", keepClosed: false,
            now: now + 60, actor: "operator:test", address: "t",
            messages: MessagePolicy(settings)
        ).value
        try database.write { connection in
            try Outbox.enqueue(
                connection, kind: .reminder, channel: .email, recipient: "niccolo@example.it", bookingID: booking.id,
                language: "en", at: now)
            try Outbox.enqueue(
                connection, kind: .credentials, channel: .email, recipient: "niccolo@example.it", bookingID: nil,
                language: "it",
                payload: [
                    "codiceFiscale": "RSSMRA85T10A562S", "name": "Niccolò D'Angelo Sàez", "password": "Ab3dEf7hKm",
                ], at: now)
        }
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        let report = notifier.deliverDue(clock: { now + 120 })
        // The reminder is for a booking cancelled meanwhile: nothing to send, but it is settled.
        #expect(report.delivered == 3 && report.failed == 0)
        let files = sandbox.receivedFiles()
        #expect(files.count == 3)
        #expect(notifier.deliverDue(clock: { now + 180 }).delivered == 0)
        #expect(sandbox.receivedFiles().count == 3)

        let messages = try parse(files)
        let host = "prenota.valfiorita.example.it"
        for message in messages {
            #expect((message["problems"] as? [String]) == [], "\(message["problems"] ?? "")")
            #expect((message["longestLine"] as? Int ?? 999) <= 78, "\(message["longLines"] ?? "")")
            #expect(
                (message["from"] as? String)
                    == "Comune di Valfiorita – Servizi demografici <noreply@comune.valfiorita.example.it>")
            #expect((message["to"] as? String) == "niccolo@example.it")
            #expect(
                (message["messageID"] as? String)?.hasSuffix(
                    "@\(URL(string: renderer.catalogue.configuration.comune.baseURL)?.host ?? host)>") == true)
        }
        func message(_ subjectPrefix: String) throws -> [String: Any] {
            guard let found = messages.first(where: { ($0["subject"] as? String)?.hasPrefix(subjectPrefix) == true })
            else {
                throw TestFailure(description: "no message with a subject starting \"\(subjectPrefix)\"")
            }
            return found
        }
        func parts(_ message: [String: Any]) -> [[String: Any]] {
            (message["parts"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
        }

        let serviceName = renderer.catalogue.service(id: "carta-identita")?.text.name ?? "?"
        let confirmed = try message("Prenotazione confermata: \(serviceName), giovedì 26 novembre 2026")
        #expect(confirmed["contentType"] as? String == "multipart/mixed")
        let confirmedParts = parts(confirmed)
        let text = try #require(confirmedParts.first { $0["type"] as? String == "text/plain" })["text"] as? String
        #expect(text?.contains("Gentile Niccolò D'Angelo Sàez") == true && text?.contains(booking.code) == true)
        #expect(text?.contains("Via Roma") == true || text?.contains("Piazza") == true)
        let html =
            try #require(confirmedParts.first { $0["type"] as? String == "text/html" && $0["filename"] is NSNull })[
                "text"] as? String
        #expect(html?.contains("D&#39;Angelo Sàez") == true)
        let receipt = try #require(
            confirmedParts.first { ($0["filename"] as? String) == "ricevuta-\(booking.code).html" })
        #expect(
            (receipt["text"] as? String)?.contains(booking.code) == true
                && (receipt["text"] as? String)?.contains("RSSMRA85T10A562S") == true)
        let request = try #require(confirmedParts.compactMap { $0["calendar"] as? [String: Any] }.first)
        #expect(
            request["method"] as? String == "PUBLISH" && request["sequence"] as? Int == 0
                && request["status"] as? String == "CONFIRMED")
        #expect(
            request["uid"] as? String
                == "\(booking.code)@\(URL(string: renderer.catalogue.configuration.comune.baseURL)?.host ?? "")")
        #expect(
            request["dtstart"] as? String == "2026-11-26T08:10:00+00:00"
                && request["dtend"] as? String == "2026-11-26T08:30:00+00:00")
        let address = renderer.catalogue.service(id: "carta-identita")?.address ?? "?"
        #expect(request["location"] as? String == address)
        // An event to add, not an invitation: no attendee, so no Accept/Decline whose reply would go nowhere; the
        // organizer is the office's own address (the fixture's Anagrafe), not the no-reply sender.
        #expect((request["organizer"] as? String) == "mailto:anagrafe@comune.valfiorita.example.it")
        #expect(request["attendee"] as? String == "None")

        let cancelled = try message("Prenotazione annullata")
        let cancelText =
            try #require(parts(cancelled).first { $0["type"] as? String == "text/plain" })["text"] as? String
        #expect(cancelText?.contains("Chiusura straordinaria: è festa, ci scusiamo") == true)
        let cancel = try #require(parts(cancelled).compactMap { $0["calendar"] as? [String: Any] }.first)
        #expect(
            cancel["method"] as? String == "CANCEL" && cancel["sequence"] as? Int == 1
                && cancel["status"] as? String == "CANCELLED")
        #expect(cancel["uid"] as? String == request["uid"] as? String)
        #expect(cancel["attendee"] as? String == "None")

        let credentials = try message("Le tue credenziali")
        #expect(
            (parts(credentials).first { $0["type"] as? String == "text/plain" }?["text"] as? String)?.contains(
                "Ab3dEf7hKm") == true)
        // Sent once, and the password is no longer in the database.
        let outbox = try Outbox(database: database).list()
        #expect(outbox.allSatisfy { $0.sentAt != nil })
        #expect(outbox.first { $0.kind == .credentials }?.payload.isEmpty == true)
    }

    @Test func failuresAreRetriedWithBackoffThenDeadLettered() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", status: 75, error: "relay temporarily refused")
        let renderer = try demoRenderer {
            $0.sendmailPath = sendmail
            $0.maxAttempts = 3
            $0.reminderHoursBefore = 0
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        var clock = now
        #expect(notifier.deliverDue(clock: { clock }).failed == 1)
        let first = try #require(try notifier.outbox.list().first)
        #expect(
            first.attempts == 1 && first.lastError?.contains("relay temporarily refused") == true && first.sentAt == nil
                && !first.dead)
        #expect(notifier.deliverDue(clock: { clock + 30 }).failed == 0)  // backing off
        clock += 61
        #expect(notifier.deliverDue(clock: { clock }).failed == 1)
        clock += 121
        #expect(notifier.deliverDue(clock: { clock }).dead == 1)
        #expect(try notifier.outbox.list().first?.dead == true)
        clock += 86_400
        #expect(notifier.deliverDue(clock: { clock }) == DeliveryReport())
        #expect(sandbox.receivedFiles().count == 3)  // three attempts, none accepted
    }

    @Test func aFailedDeliveryIsLoggedWithoutItsRecipient() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(
            named: "sendmail", status: 67, error: "550 niccolo@example.it: mailbox unknown (log test)")
        let renderer = try demoRenderer {
            $0.sendmailPath = sendmail
            $0.reminderHoursBefore = 0
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let lines = Locked<[String]>([])
        let capture = Log.capture { line in if line.contains("(log test)") { lines.withLock { $0.append(line) } } }
        defer { Log.endCapture(capture) }
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        #expect(notifier.deliverDue(clock: { now }).failed == 1)
        let logged = lines.withLock { $0 }
        #expect(logged.count == 1)
        let line = try #require(logged.first)
        #expect(
            line.contains("event=notification_failed") && line.contains("channel=email") && line.contains("attempt=1"))
        #expect(line.contains("[recipient]: mailbox unknown") && !line.contains("niccolo"))
    }

    @Test func smsGoesThroughTheGatewayCommandWithTheNumber() throws {
        let sandbox = try Sandbox()
        let gateway = try sandbox.fakeProgram(named: "sms-gateway")
        let renderer = try demoRenderer {
            $0.email = false
            $0.sms = true
            $0.smsCommand = [gateway, "--sender", "Comune"]
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let booking = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        #expect(notifier.deliverDue(clock: { now }).delivered == 1)
        let file = try #require(sandbox.receivedFiles().first)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let serviceName = renderer.catalogue.service(id: "carta-identita")?.text.name ?? "?"
        #expect(
            text
                == "Comune di Valfiorita: prenotazione \(booking.code) confermata, \(serviceName), gio 26/11 ore 09:10."
        )
        let arguments = try String(
            contentsOfFile: file.replacingOccurrences(of: ".eml", with: ".args"), encoding: .utf8)
        #expect(arguments == "--sender\nComune\n+393331234567\n")
    }

    @Test func noSMSLeavesForANumberOutsideTheListedCountriesWhoeverQueuedIt() throws {
        let sandbox = try Sandbox()
        let gateway = try sandbox.fakeProgram(named: "sms-gateway")
        let renderer = try demoRenderer {
            $0.email = false
            $0.sms = true
            $0.smsCommand = [gateway]
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let booking = try book(database, settings: renderer.catalogue.configuration.notifications)
        // A reminder is queued by the periodic job, without the limits: to a premium-rate international number.
        try database.write { connection in
            try connection.execute(
                "UPDATE outbox SET recipient = '+8823123456789' WHERE booking_id = ?", .int(booking.id))
            try Outbox.enqueue(
                connection, kind: .reminder, channel: .sms, recipient: "+390612345678", bookingID: booking.id,
                language: "it", at: now)
        }
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        let report = notifier.deliverDue(clock: { now })
        #expect(report.delivered == 0 && report.dead == 2)
        #expect(sandbox.receivedFiles().isEmpty)
        #expect(
            try Outbox(database: database).list().allSatisfy {
                $0.dead && ($0.lastError ?? "").contains("smsCountryCodes")
            })
    }

    @Test func aReminderGoesOnceTheDayBeforeAndNotForLateBookings() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail")
        let renderer = try demoRenderer {
            $0.sendmailPath = sendmail
            $0.reminderHoursBefore = 24
        }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let store = BookingStore(database: database)
        let settings = renderer.catalogue.configuration.notifications
        // Booked five days ahead (a reminder is due), and one booked only two hours ahead (none).
        let early = now - 4 * 86_400
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: slot), capacity: 2, now: early, expiresAt: early + 600,
            clientIP: "t"
        ).value
        let person = PersonDetails(
            givenName: "Ada", familyName: "Neri", codiceFiscale: "RSSMRA85T10A562S", email: "ada@example.it",
            phone: "3331234567")
        let booking = try store.confirm(
            holdToken: hold.token, person: person, slotEnd: slot + 1_200, now: early, clientIP: "t",
            policy: BookingPolicy(messages: MessagePolicy(settings))
        ).value
        let lateHold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: slot), capacity: 2, now: slot - 7_200,
            expiresAt: slot - 6_600,
            clientIP: "t"
        ).value
        _ = try store.confirm(
            holdToken: lateHold.token, person: person, slotEnd: slot + 1_200, now: slot - 7_200, clientIP: "t"
        ).value
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        #expect(notifier.deliverDue(clock: { early }).delivered == 1)  // the confirmation
        #expect(notifier.deliverDue(clock: { slot - 25 * 3_600 }).remindersQueued == 0)  // too early
        let due = notifier.deliverDue(clock: { slot - 23 * 3_600 })
        #expect(due.remindersQueued == 1 && due.delivered == 1)
        #expect(notifier.deliverDue(clock: { slot - 22 * 3_600 }).remindersQueued == 0)  // once
        #expect(notifier.deliverDue(clock: { slot - 3_600 }).remindersQueued == 0)  // not for the late booking
        let reminder = try #require(
            try parse(sandbox.receivedFiles()).first { ($0["subject"] as? String)?.hasPrefix("Promemoria") == true })
        let text =
            (reminder["parts"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }.first {
                $0["type"] as? String == "text/plain"
            }?["text"] as? String
        #expect(text?.contains(booking.code) == true && text?.contains("ti ricordiamo") == true)
    }

    @Test func encodingsKeepLinesShortAndWordsWhole() {
        let long = String(repeating: "àèìòù ", count: 40)
        let words = MailMessage.encodedWord(long).split(separator: " ")
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?utf-8?B?") })
        let decoded = words.map { word -> String in
            let base64 = word.dropFirst(10).dropLast(2)
            return String(decoding: Data(base64Encoded: String(base64)) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == long)
        #expect(MailMessage.encodedWord("Plain ASCII") == "Plain ASCII")
        let quoted = MailMessage.quotedPrintable(String(repeating: "x", count: 200) + "\nfine riga con spazio \nè=1")
        #expect(quoted.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(quoted.hasSuffix("fine riga con spazio=20\r\n=C3=A8=3D1"))
        #expect(MailMessage.rfc5322Date(0) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailMessage.rfc5322Date(784_111_777) == "Sun, 06 Nov 1994 08:49:37 +0000")
    }
}
