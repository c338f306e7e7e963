import Foundation
import SportelloCore
import SportelloNotify
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

/// `sportello deliver` killed with SIGKILL in the middle of handing messages to a slow sendmail, then run
/// again: every event reaches the fake sendmail exactly once.
@Suite(.serialized) struct DeliveryCrashTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-deliver-\(UUID().uuidString)")
        .path

    /// The demo configuration with mail delivered to `sendmail`.
    func writeConfiguration(sendmail: String) throws -> String {
        let data = try FixtureComune.data()
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("bad demo configuration")
        }
        root["notifications"] = [
            "from": "noreply@comune.valfiorita.example.it", "email": true, "sendmailPath": sendmail, "sms": false,
            "reminderHoursBefore": 0,
        ]
        let path = "\(folder)/sportello.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    func deliver(_ configuration: String, output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sportelloExecutable())
        process.arguments = [
            "deliver", "--config", configuration, "--templates",
            repositoryRoot.appendingPathComponent("site-templates").path,
            "--output", "\(folder)/output", "--database", "\(folder)/var/db.sqlite",
        ]
        process.standardOutput = output ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func killedWhileHandingOverThenRestartedSendsEachMessageOnce() throws {
        defer { TemporaryFolder.removeTree(folder) }
        let received = "\(folder)/received"
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        // A sendmail that takes half a second per message.
        let sendmail = "\(folder)/sendmail"
        try """
        #!/bin/sh
        file="\(received)/$(date +%s%N)-$$"
        cat > "$file.tmp"
        sleep 0.5
        mv "$file.tmp" "$file.eml"
        """.write(toFile: sendmail, atomically: true, encoding: .utf8)
        chmod(sendmail, 0o755)
        let configuration = try writeConfiguration(sendmail: sendmail)

        // Twelve bookings, each with its confirmation queued in the same transaction: more than one run's
        // hand-overs at once (8), so the second run still has a message of its own to be killed with.
        let database = try Database(path: "\(folder)/var/db.sqlite")
        let store = BookingStore(database: database)
        let settings = try SiteConfiguration.load(path: configuration).notifications
        let now = currentInstant()
        var codes: [String] = []
        for index in 0..<12 {
            let start = now + 86_400 * 3 + Int64(index) * 1_800
            let hold = try store.placeHold(
                slot: SlotRef(serviceID: "residenza", start: start), capacity: 1, now: now, expiresAt: now + 600,
                clientIP: "t"
            ).value
            let person = PersonDetails(
                givenName: "Utente", familyName: "Numero \(index)", codiceFiscale: "RSSMRA85T10A562S",
                email: "utente\(index)@example.it", phone: "3331234567")
            codes.append(
                try store.confirm(
                    holdToken: hold.token, person: person, slotEnd: start + 1_800, now: now, clientIP: "t",
                    policy: BookingPolicy(messages: MessagePolicy(settings))
                ).value.code)
        }

        // Kill the worker twice while a message is with sendmail, then let a last run finish.
        for _ in 0..<2 {
            let worker = try deliver(configuration)
            let deadline = Date().addingTimeInterval(10)
            let before = (try? FileManager.default.contentsOfDirectory(atPath: received).count) ?? 0
            // Wait until sendmail is busy with a message (its temporary file exists), then kill.
            while Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []
                if names.contains(where: { $0.hasSuffix(".tmp") }) && names.count > before { break }
                usleep(10_000)
            }
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
            #expect(worker.terminationReason == .uncaughtSignal)
        }
        let report = Pipe()
        let last = try deliver(configuration, output: report)
        let printed = String(decoding: report.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)

        // A sendmail still busy from a killed run may finish after the last run started waiting for it.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline,
            ((try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []).contains(where: {
                $0.hasSuffix(".tmp")
            })
        {
            usleep(20_000)
        }
        let finalReport = Pipe()
        let finish = try deliver(configuration, output: finalReport)
        let printedAgain = String(decoding: finalReport.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        finish.waitUntilExit()
        // The killed runs had handed a message over: a restart settled it from the spool instead of sending it again.
        func settled(_ text: String) -> Int {
            Int(extract("settled after a restart [0-9]+", from: text)?.split(separator: " ").last ?? "") ?? 0
        }
        #expect(settled(printed) + settled(printedAgain) >= 1, "\(printed) / \(printedAgain)")

        let messages = ((try? FileManager.default.contentsOfDirectory(atPath: received)) ?? []).filter {
            $0.hasSuffix(".eml")
        }
        let bodies = messages.compactMap { try? String(contentsOfFile: "\(received)/\($0)", encoding: .utf8) }
        for code in codes {
            #expect(
                bodies.filter { $0.contains(code) }.count == 1,
                "\(code) was delivered \(bodies.filter { $0.contains(code) }.count) times")
        }
        #expect(messages.count == codes.count)
        let outbox = try Outbox(database: database).list()
        #expect(outbox.count == codes.count && outbox.allSatisfy { $0.sentAt != nil })
    }
}
