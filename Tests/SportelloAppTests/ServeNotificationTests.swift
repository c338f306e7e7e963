import Foundation
import SportelloCore
import SportelloStore
import SportelloTesting
import Testing

@testable import SportelloApp

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sportello serve` as a comune runs it, with a fake `sendmail` found on PATH (`"sendmailPath": "sendmail"`):
/// bookings and a cancellation over real HTTP, the server killed with SIGKILL while sendmail holds a message,
/// started again, one more booking, then stopped with SIGTERM. Every event reaches sendmail exactly once.
@Suite(.serialized) struct ServeNotificationTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sportello-serve-\(UUID().uuidString)")
        .path
    var received: String { "\(folder)/received" }
    /// Every server the test started, killed at the end whatever happened.
    let started = Locked<[Process]>([])

    /// A port nobody listens on right now.
    func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `sportello <command>` on the test's folder, with the fake sendmail first on PATH.
    func sportello(_ command: String, _ configuration: String, _ extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try sportelloExecutable())
        process.arguments =
            [
                command, "--config", configuration, "--templates",
                repositoryRoot.appendingPathComponent("site-templates").path,
                "--output", "\(folder)/output", "--database", "\(folder)/var/db.sqlite",
            ] + extra
        process.environment = ["PATH": "\(folder)/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        // Not the test's own output: a server left behind must not keep the test runner's pipes open.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        started.withLock { $0.append(process) }
        return process
    }

    func serve(_ configuration: String, port: Int) throws -> Process {
        let process = try sportello("serve", configuration, ["--port", String(port)])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? post(port, "/api/nothing", [:]))?.status == 404 { return process }
            usleep(50_000)
        }
        process.terminate()
        throw TestFailure("sportello serve did not answer on port \(port)")
    }

    func post(_ port: Int, _ path: String, _ form: [String: String]) throws -> (status: Int, body: [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(
            form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&").utf8)
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.timeoutInterval = 10
        let reply = Locked<(Int, [String: Any])?>(nil)
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, _ in
            if let http = response as? HTTPURLResponse {
                let body = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
                reply.withLock { $0 = (http.statusCode, body) }
            }
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        guard let (status, body) = reply.withLock({ $0 }) else { throw TestFailure("no answer from \(path)") }
        return (status, body)
    }

    func names() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: received)) ?? [] }

    @Test func killedAndRestartedServeSendsEveryEventOnce() throws {
        defer {
            for process in started.withLock({ $0 }) where process.isRunning { kill(process.processIdentifier, SIGKILL) }
            TemporaryFolder.removeTree(folder)
        }
        try FileManager.default.createDirectory(atPath: received, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(folder)/bin", withIntermediateDirectories: true)
        try """
        #!/bin/sh
        [ "$1 $2" = "-t -i" ] || { echo "expected -t -i, got $*" >&2; exit 64; }
        file="\(received)/$(date +%s%N)-$$"
        cat > "$file.tmp"
        sleep 0.4
        mv "$file.tmp" "$file.eml"
        """.write(toFile: "\(folder)/bin/sendmail", atomically: true, encoding: .utf8)
        chmod("\(folder)/bin/sendmail", 0o755)
        let demo = try FixtureComune.data()
        guard var root = try JSONSerialization.jsonObject(with: demo) as? [String: Any] else {
            throw TestFailure("bad demo configuration")
        }
        var booking = root["booking"] as? [String: Any] ?? [:]
        booking["requestsPerMinutePerAddress"] = 0
        booking["maxActiveBookingsPerPerson"] = NSNull()
        root["booking"] = booking
        root["limits"] = ["bookingsPerContactPerDay": 0]  // four bookings with one mobile number
        root["notifications"] = [
            "from": "noreply@comune.valfiorita.example.it", "email": true, "sendmailPath": "sendmail", "sms": false,
            "reminderHoursBefore": 0,
        ]
        let configuration = "\(folder)/sportello.json"
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: configuration))

        // Four free identity-card slots from the day after tomorrow on.
        let catalogue = Catalogue(configuration: try SiteConfiguration.load(path: configuration))
        let service = try #require(catalogue.service(id: "carta-identita"))
        let now = currentInstant()
        var slots: [Slot] = []
        var day = RomeTime.local(now).date.adding(days: 2)
        while slots.count < 4 && day < RomeTime.local(now).date.adding(days: 40) {
            slots += service.slots(on: day).filter {
                service.availability(of: $0, occupancy: .empty, now: now).state == .free
            }.prefix(4 - slots.count)
            day = day.adding(days: 1)
        }
        try #require(slots.count == 4)
        func book(_ port: Int, _ slot: Slot, _ index: Int) throws -> String {
            let hold = try post(port, "/api/holds", ["service": service.id, "slot": String(slot.startInstant)])
            let token = try #require((hold.body["hold"] as? [String: Any])?["token"] as? String, "\(hold)")
            let confirmed = try post(
                port, "/api/bookings",
                [
                    "hold": token, "nome": "Utente", "cognome": ["Alfa", "Bravo", "Charlie", "Delta"][index],
                    "codice_fiscale": "RSSMRA85T10A562S", "email": "utente\(index)@example.it",
                    "cellulare": "333 123 4567", "note": "",
                ])
            return try #require((confirmed.body["booking"] as? [String: Any])?["code"] as? String, "\(confirmed)")
        }

        var port = try freePort()
        let first = try serve(configuration, port: port)
        var codes: [String] = []
        for index in 0..<3 { codes.append(try book(port, slots[index], index)) }
        #expect(
            try post(port, "/api/cancellations", ["code": codes[0], "codice_fiscale": "RSSMRA85T10A562S"]).status == 200
        )
        // Killed while sendmail holds a message.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !names().contains(where: { $0.hasSuffix(".tmp") }) { usleep(5_000) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)

        // Started again at once (the orphaned hand-over may still be running); a new booking wakes the worker.
        port = try freePort()
        let second = try serve(configuration, port: port)
        codes.append(try book(port, slots[3], 3))
        let expected = codes.count + 1  // four confirmations and one cancellation
        let arrival = Date().addingTimeInterval(20)
        while Date() < arrival
            && (names().filter { $0.hasSuffix(".eml") }.count < expected || names().contains { $0.hasSuffix(".tmp") })
        {
            usleep(20_000)
        }
        // SIGTERM stops it cleanly and promptly.
        let stopping = Date()
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(second.terminationReason == .exit && second.terminationStatus == 0)
        #expect(Date().timeIntervalSince(stopping) < 5)
        // A hand-over the stop left running is settled by the next run (here the cron command), not sent again.
        let deliver = try sportello("deliver", configuration)
        deliver.waitUntilExit()
        #expect(deliver.terminationStatus == 0)

        let mails = names().filter { $0.hasSuffix(".eml") }.compactMap {
            try? String(contentsOfFile: "\(received)/\($0)", encoding: .utf8)
        }
        let ids = mails.compactMap { extract("Message-ID: <outbox-[0-9]+\\.[a-z]+@", from: $0) }
        #expect(mails.count == expected && Set(ids).count == expected, "\(ids)")
        for code in codes {
            #expect(mails.filter { $0.contains(code) && $0.contains(".confirmed@") }.count == 1, "\(code)")
        }
        #expect(mails.filter { $0.contains(codes[0]) && $0.contains(".cancelled@") }.count == 1)
        let outbox = try Outbox(database: try Database(path: "\(folder)/var/db.sqlite")).list()
        #expect(
            outbox.count == expected && outbox.allSatisfy { $0.sentAt != nil && $0.attempts == 1 },
            "\(outbox.map { ($0.kind, $0.lastError ?? "") })")
    }
}
