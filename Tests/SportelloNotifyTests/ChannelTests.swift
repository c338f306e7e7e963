import Foundation
import SportelloCore
import SportelloSite
import SportelloStore
import Testing

@testable import SportelloNotify

/// `channel_standin.py` running on a free port: App IO and a webhook receiver that refuse what the documented
/// API refuses, and log every request.
final class ChannelStandIn {
    let process = Process()
    let port: Int
    let log: String

    init(
        folder: String, key: String, subscribed: [String] = [], disabled: [String] = [], secret: String = "",
        clock: Int64 = 0, fail: [String] = [], delay: [String] = []
    ) throws {
        log = "\(folder)/standin.log"
        let bundled = repositoryRoot.appendingPathComponent(".build/python/bin/python3").path
        let python = FileManager.default.isExecutableFile(atPath: bundled) ? bundled : "/usr/bin/python3"
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments =
            [
                repositoryRoot.appendingPathComponent("Tests/SportelloNotifyTests/channel_standin.py").path,
                "--key", key, "--subscribed", subscribed.joined(separator: ","),
                "--disabled", disabled.joined(separator: ","), "--secret", secret, "--clock", String(clock),
                "--log", log, "--port-file", "\(folder)/standin.port",
            ] + fail.flatMap { ["--fail", $0] } + delay.flatMap { ["--delay", $0] }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while port == nil && Date() < deadline && process.isRunning {
            port = (try? String(contentsOfFile: "\(folder)/standin.port", encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let port else {
            if process.isRunning { process.terminate() }
            throw TestFailure(description: "the stand-in did not start")
        }
        self.port = port
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Every request the stand-in answered, in order.
    func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

@Suite(.serialized) struct ChannelTests {
    let now = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 25)!, minutes: 8 * 60)!
    let slot = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 26)!, minutes: 9 * 60 + 10)!
    static let subscribed = "RSSMRA85T10A562S"

    /// A booking of `service` by the person with `codiceFiscale`, its messages queued with `settings`.
    func book(
        _ database: Database, settings: NotificationSettings, codiceFiscale: String = subscribed,
        service: String = "carta-identita", minutes: Int64 = 0
    ) throws -> Booking {
        let store = BookingStore(database: database)
        let start = slot + minutes * 60
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: service, start: start), capacity: 2, now: now, expiresAt: now + 600,
            clientIP: "t"
        ).value
        let person = PersonDetails(
            givenName: "Niccolò", familyName: "D'Angelo Sàez", codiceFiscale: codiceFiscale,
            email: "niccolo@example.it", phone: "+393331234567", notes: nil)
        return try store.confirm(
            holdToken: hold.token, person: person, slotEnd: start + 1_200, now: now, clientIP: "t",
            policy: BookingPolicy(messages: MessagePolicy(settings))
        ).value
    }

    /// A renderer sending no mail: on App IO (key in a file) unless `io` is false, and to the stand-in's hook
    /// when `webhook`.
    func channels(
        _ sandbox: Sandbox, _ standIn: ChannelStandIn, io sendsIO: Bool = true, webhook: Bool = false,
        personal: Bool = false
    ) throws -> PageRenderer {
        try "io-test-key\n".write(toFile: "\(sandbox.folder)/io.key", atomically: true, encoding: .utf8)
        try "webhook-secret\n".write(toFile: "\(sandbox.folder)/hook.secret", atomically: true, encoding: .utf8)
        return try demoRenderer {
            $0.email = false
            var io = IOChannelSettings()
            io.baseURL = standIn.url + "/api/v1"
            io.apiKeyFile = "\(sandbox.folder)/io.key"
            $0.io = sendsIO ? io : nil
            if webhook {
                $0.webhook = WebhookSettings(url: standIn.url + "/hook", secretFile: "\(sandbox.folder)/hook.secret")
                $0.webhook?.includePersonalData = personal
            }
        }
    }

    @Test func ioContentStaysWithinTheAPILimitsWhateverTheTexts() {
        let short = IOContent(subject: "Ok", markdown: "Breve.", subjectFiller: "Comune", markdownFiller: "Piè")
        #expect(IOContent.subjectLimits.contains(short.subject.utf16.count) && short.subject.hasPrefix("Ok – Comune"))
        #expect(IOContent.markdownLimits.contains(short.markdown.utf16.count) && short.markdown.hasPrefix("Breve."))
        // Characters outside the BMP count twice in UTF-16 (as the API counts): never cut in half, never over.
        let long = IOContent(
            subject: String(repeating: "Prenotazione 📅 confermata ", count: 20),
            markdown: String(repeating: "Città – è così 🗓️\n", count: 2_000), subjectFiller: "", markdownFiller: "")
        #expect(long.subject.utf16.count <= 120 && long.subject.utf16.count >= 110 && long.subject.hasSuffix("…"))
        #expect(long.markdown.utf16.count <= 10_000 && long.markdown.utf16.count >= 9_990)
        #expect(long.markdown.unicodeScalars.allSatisfy { $0.properties.generalCategory != .surrogate })
        let exact = IOContent(
            subject: String(repeating: "a", count: 120), markdown: String(repeating: "b", count: 80),
            subjectFiller: "x", markdownFiller: "y")
        #expect(exact.subject.count == 120 && exact.markdown.count == 80)
        let minimal = IOContent(subject: "", markdown: "", subjectFiller: "", markdownFiller: "")
        #expect(minimal.subject.count == 10 && minimal.markdown.count == 80)
    }

    @Test func anIOMessageChecksTheProfileThenSendsOnceWithTheKeyAndTheDocumentedShape() throws {
        let sandbox = try Sandbox()
        let standIn = try ChannelStandIn(folder: sandbox.folder, key: "io-test-key", subscribed: [Self.subscribed])
        let renderer = try channels(sandbox, standIn)
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let booking = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        let report = notifier.deliverDue(clock: { now })
        #expect(report.delivered == 1 && report.failed == 0 && report.dead == 0, "\(report)")
        #expect(notifier.deliverDue(clock: { now + 600 }).delivered == 0)
        let requests = standIn.requests()
        #expect(requests.map { $0["path"] as? String } == ["/api/v1/profiles", "/api/v1/messages"], "\(requests)")
        #expect(requests.allSatisfy { $0["refused"] == nil && ($0["status"] as? Int ?? 0) < 300 })
        let sent = try #require(
            try JSONSerialization.jsonObject(with: Data((requests.last?["body"] as? String ?? "").utf8))
                as? [String: Any])
        let content = try #require(sent["content"] as? [String: String])
        #expect(sent["fiscal_code"] as? String == Self.subscribed)
        #expect(content["subject"]?.hasPrefix("Prenotazione confermata") == true)
        #expect(content["markdown"]?.contains(booking.code) == true)
        // The text of the mail without the line announcing attachments an IO message does not have.
        #expect(content["markdown"]?.contains("In allegato") == false)
        let row = try #require(try notifier.outbox.list().first { $0.channel == .io })
        #expect(row.sentAt != nil && row.attempts == 1 && row.recipient == Self.subscribed)
    }

    @Test func aCitizenWithoutIOOrWhoTurnedTheServiceOffIsSetAsideAtOnceWithTheReason() throws {
        let sandbox = try Sandbox()
        let standIn = try ChannelStandIn(
            folder: sandbox.folder, key: "io-test-key", subscribed: [], disabled: ["BNCLRA90A41H501F"])
        let renderer = try channels(sandbox, standIn)
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let settings = renderer.catalogue.configuration.notifications
        _ = try book(database, settings: settings)
        _ = try book(database, settings: settings, codiceFiscale: "BNCLRA90A41H501F", minutes: 20)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        #expect(notifier.deliverDue(clock: { now }).dead == 2)
        let rows = try notifier.outbox.list()
        #expect(
            rows.contains {
                $0.dead && $0.attempts == 1
                    && $0.lastError?.hasPrefix("not deliverable: the citizen does not use") == true
            }, "\(rows.map { $0.lastError ?? "" })")
        #expect(rows.contains { $0.dead && $0.lastError?.contains("turned off this service") == true })
        // No message was posted, and nothing is tried again.
        #expect(!standIn.requests().contains { $0["path"] as? String == "/api/v1/messages" })
        #expect(notifier.deliverDue(clock: { now + 86_400 }) == DeliveryReport())
    }

    @Test func tooManyRequestsAndServerErrorsAreRetriedOtherRefusalsAreExplained() throws {
        let sandbox = try Sandbox()
        let standIn = try ChannelStandIn(
            folder: sandbox.folder, key: "io-test-key", subscribed: [Self.subscribed],
            fail: ["/api/v1/profiles=500", "/api/v1/messages=429", "/api/v1/messages=403"])
        let renderer = try channels(sandbox, standIn)
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        // 500 on the profile check: retried after the backoff.
        #expect(notifier.deliverDue(clock: { now }).failed == 1)
        var row = try #require(try notifier.outbox.list().first)
        #expect(!row.dead && row.attempts == 1 && row.lastError?.contains("HTTP 500") == true, "\(row)")
        #expect(notifier.deliverDue(clock: { now + 30 }) == DeliveryReport())  // not before its retry
        // 429 on the message: retried too.
        #expect(notifier.deliverDue(clock: { now + 60 }).failed == 1)
        row = try #require(try notifier.outbox.list().first)
        #expect(!row.dead && row.attempts == 2 && row.lastError?.contains("HTTP 429") == true, "\(row)")
        // 403: set aside with IO's own words, not retried.
        #expect(notifier.deliverDue(clock: { now + 200 }).dead == 1)
        row = try #require(try notifier.outbox.list().first)
        #expect(
            row.dead && row.attempts == 3
                && row.lastError?.hasPrefix("set aside: App IO refused the message with HTTP 403") == true
                && row.lastError?.contains("told to answer 403") == true, "\(row)")
    }

    @Test func aSlowAnswerIsNeverSentTwiceTheHandOverSettlesLater() throws {
        let sandbox = try Sandbox()
        let standIn = try ChannelStandIn(
            folder: sandbox.folder, key: "io-test-key", subscribed: [Self.subscribed],
            delay: ["/api/v1/messages=1.5"])
        let renderer = try channels(sandbox, standIn)
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(
            database: database, renderer: renderer, spool: "\(sandbox.folder)/spool", deliveryTimeout: 0.3)
        // The worker stops waiting (as one killed would): the request goes on, and later passes send nothing.
        #expect(notifier.deliverDue(clock: { now }) == DeliveryReport())
        #expect(notifier.deliverDue(clock: { now + 3_600 }) == DeliveryReport())
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline && !standIn.requests().contains(where: { $0["status"] as? Int == 201 }) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.5)  // the wrapper records curl's status
        #expect(notifier.deliverDue(clock: { now + 3_700 }).recovered == 1)
        #expect(standIn.requests().filter { $0["path"] as? String == "/api/v1/messages" }.count == 1)
        #expect(try notifier.outbox.list().allSatisfy { $0.sentAt != nil })
    }

    @Test func aServiceWithoutAKeyAndAPersonWithoutCodiceFiscaleQueueNoIOMessage() throws {
        let sandbox = try Sandbox()
        var settings = NotificationSettings()
        settings.email = false
        var io = IOChannelSettings()
        io.serviceKeyFiles = ["carta-identita": "\(sandbox.folder)/io.key"]
        settings.io = io
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: settings)
        _ = try book(database, settings: settings, codiceFiscale: "", minutes: 20)
        let outbox = try Outbox(database: database).list()
        #expect(outbox.map(\.channel) == [.io], "\(outbox)")
        var other = settings
        other.io?.serviceKeyFiles = ["residenza": "\(sandbox.folder)/io.key"]
        #expect(!MessagePolicy(other).sendsIO(forService: "carta-identita"))
        #expect(MessagePolicy(other).sendsIO(forService: "residenza"))
    }

    @Test func theWebhookIsSignedOverTimestampAndBodyAndCarriesNoPersonalDataUnlessAllowed() throws {
        for personal in [false, true] {
            let sandbox = try Sandbox()
            let standIn = try ChannelStandIn(
                folder: sandbox.folder, key: "io-test-key", secret: "webhook-secret", clock: now,
                fail: ["/hook=503"])
            let renderer = try channels(sandbox, standIn, io: false, webhook: true, personal: personal)
            let database = try Database(path: "\(sandbox.folder)/db.sqlite")
            let booking = try book(database, settings: renderer.catalogue.configuration.notifications)
            let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
            #expect(notifier.deliverDue(clock: { now }).failed == 1)  // 503: tried again
            #expect(notifier.deliverDue(clock: { now + 60 }).delivered == 1)
            let accepted = try #require(standIn.requests().last)
            #expect(accepted["refused"] == nil && accepted["status"] as? Int == 200, "\(accepted)")
            let event = try #require(
                try JSONSerialization.jsonObject(with: Data((accepted["body"] as? String ?? "").utf8))
                    as? [String: Any])
            let facts = try #require(event["booking"] as? [String: Any])
            #expect(event["event"] as? String == "confirmed" && facts["code"] as? String == booking.code)
            #expect(facts["service"] as? String == "carta-identita" && event["language"] as? String == "it")
            let body = accepted["body"] as? String ?? ""
            #expect(body.contains(Self.subscribed) == personal && body.contains("niccolo@example.it") == personal)
            #expect(body.contains("Niccolò") == personal)
        }
    }

    @Test func aWrongSecretIsRefusedByTheReceiverAndSetAside() throws {
        let sandbox = try Sandbox()
        let standIn = try ChannelStandIn(folder: sandbox.folder, key: "k", secret: "another-secret", clock: now)
        let renderer = try channels(sandbox, standIn, io: false, webhook: true)
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        #expect(notifier.deliverDue(clock: { now }).dead == 1)
        #expect(standIn.requests().first?["refused"] as? String == "signature")
        let row = try #require(try notifier.outbox.list().first)
        #expect(
            row.lastError == "set aside: the receiver refused the event with HTTP 401: {\"detail\": \"bad signature\"}")
    }

    @Test func aMailProgramsExitStatus65IsStillRetriedAsBefore() throws {
        let sandbox = try Sandbox()
        let sendmail = try sandbox.fakeProgram(named: "sendmail", status: 65, error: "data format error")
        let renderer = try demoRenderer { $0.sendmailPath = sendmail }
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        _ = try book(database, settings: renderer.catalogue.configuration.notifications)
        let notifier = Notifier(database: database, renderer: renderer, spool: "\(sandbox.folder)/spool")
        let report = notifier.deliverDue(clock: { now })
        #expect(report.failed == 1 && report.dead == 0, "\(report)")
        #expect(try notifier.outbox.list().first?.lastError?.hasPrefix("exit status 65") == true)
    }
}
