import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// Where the wrk scripts live (Tests/bench), found from the templates folder the bench was pointed at.
func benchScript(_ name: String, templates: String) -> String {
    URL(fileURLWithPath: templates).deletingLastPathComponent().appendingPathComponent("Tests/bench/\(name)").path
}

/// Resident memory of this process now, in MB (the server runs inside the bench).
func residentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// Runs wrk, returns what it printed (stdout); nil when wrk is missing or failed.
func runWrk(_ arguments: [String]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["wrk"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    do { try process.run() } catch { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
        print(text)
        return nil
    }
    return text
}

/// Samples this process's resident memory every 20 ms until stopped; keeps the peak.
final class MemorySampler: Sendable {
    private let peak = Locked(0.0)
    private let running = Locked(true)

    func start() {
        Thread.detachNewThread { [self] in
            while running.withLock({ $0 }) {
                let now = residentMegabytes()
                peak.withLock { $0 = max($0, now) }
                usleep(20_000)
            }
        }
    }

    func stop() -> Double {
        running.withLock { $0 = false }
        return peak.withLock { $0 }
    }
}

/// Valid, distinct codici fiscali: made-up letters and the check character found by the validator itself.
func madeUpCodiciFiscali(_ count: Int) -> [String] {
    let letters = Array("BCDFGHLMNPRSTVZ")
    let checks = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    var result: [String] = []
    var index = 0
    while result.count < count {
        var n = index
        var name = ""
        for _ in 0..<6 {
            name.append(letters[n % letters.count])
            n /= letters.count
        }
        index += 1
        let first15 = name + "85T10A562"
        if let check = checks.first(where: { (try? CodiceFiscale(validating: first15 + String($0))) != nil }) {
            result.append(first15 + String(check))
        }
    }
    return result
}

/// Lines such as `outcome slot_full 4521` and `latency p99 12.345 ms` from the wrk scripts' `done()`.
struct WrkReport {
    var outcomes: [String: Int] = [:]
    var latency: [String: Double] = [:]
    var requests = 0
    var socketErrors = 0
    var requestsPerSecond = 0.0

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "outcome" where words.count >= 3: outcomes[words[1...(words.count - 2)].joined(separator: " ")] = Int(words[words.count - 1]) ?? 0
            case "latency" where words.count >= 3: latency[words[1]] = Double(words[2]) ?? 0
            case "requests" where words.count == 2: requests = Int(words[1]) ?? 0
            case "socket-errors":
                // connect, read, write, timeout; not "status" (wrk's count of non-2xx answers, a loser's 409 among them)
                for (index, word) in words.enumerated() where ["connect", "read", "write", "timeout"].contains(word) && index + 1 < words.count {
                    socketErrors += Int(words[index + 1]) ?? 0
                }
            case "Requests/sec:" where words.count >= 2: requestsPerSecond = Double(words[1]) ?? 0
            default:
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("Requests/sec:") { requestsPerSecond = Double(trimmed.dropFirst(13).trimmingCharacters(in: .whitespaces)) ?? 0 }
            }
        }
    }
}

/// The morning the identity-card slots open: `clients` citizens (wrk connections) race for `places` places
/// released at once, through `sportello serve`'s HTTP server and endpoint. Checks that exactly `places`
/// bookings exist, no slot holds more than its desks, every answer was a clear one, and reports latency
/// and the server's memory. Returns false when a check failed.
func rushBenchmark(clients: Int, places: Int, seconds: Int, thinkMilliseconds: Int, threads: Int, workers: Int?, templates: String) throws -> Bool {
    let now = currentInstant()
    let today = RomeTime.local(now).date
    guard let day = (1...7).map({ today.adding(days: $0) }).first(where: { $0.weekday != .sunday && !ItalianHolidays.isHoliday($0) }) else {
        print("rush: no working day in the coming week")
        return false
    }
    var configuration = try SyntheticComune.rushConfiguration(places: places, day: day, today: today)
    // The booking path only, as in `endpoint`: no mail program started per booking.
    configuration.notifications.email = false
    let folder = NSTemporaryDirectory() + "sportello-rush-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var options = Options()
    options.templatesPath = templates
    options.outputPath = "\(folder)/output"
    options.databasePath = "\(folder)/db.sqlite"
    let site = try LoadedSite(configuration: configuration, options: options)
    let (application, _) = try site.openApplication()
    application.startBackgroundWork()
    var limits = HTTPLimits.standard
    if let workers { limits.workers = workers }
    let server = HTTPServer(port: 0, limits: limits, responder: application, uncappedAddresses: configuration.booking.trustedProxies,
                            errorPage: { application.errorResponse(status: $0) })
    try server.start()
    defer { server.stop(); application.stopBackgroundWork() }

    guard let service = site.catalogue.service(id: "carta-identita") else { return false }
    let slots = service.slots(on: day).filter { service.availability(of: $0, occupancy: .empty, now: now).state == .free }
    let released = slots.count * service.capacity
    let placesFile = "\(folder)/places.txt"
    let peopleFile = "\(folder)/people.txt"
    try slots.map { "\(service.id) \($0.startInstant)" }.joined(separator: "\n").write(toFile: placesFile, atomically: true, encoding: .utf8)
    try madeUpCodiciFiscali(released * 2 + 100).joined(separator: "\n").write(toFile: peopleFile, atomically: true, encoding: .utf8)

    print("sportello-bench rush: \(clients) citizens (wrk connections, \(threads) threads) race for \(released) places " +
          "(\(slots.count) slots × \(service.capacity) desks on \(day)), arriving within \(thinkMilliseconds) ms, \(seconds) s, " +
          "\(limits.workers) server workers, loopback")
    let baseline = residentMegabytes()
    let sampler = MemorySampler()
    sampler.start()
    let started = monotonicSeconds()
    guard let output = runWrk(["-t\(threads)", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s",
                               "-s", benchScript("rush.lua", templates: templates), "http://127.0.0.1:\(server.port)",
                               "--", placesFile, peopleFile, String(thinkMilliseconds), String(threads)]) else {
        _ = sampler.stop()
        print("rush: wrk did not run (is it installed? apt-get install wrk)")
        return false
    }
    let elapsed = monotonicSeconds() - started
    let peakMemory = sampler.stop()
    let report = WrkReport(output)
    if CommandLine.arguments.contains("--verbose") { print(output) }

    // What the database holds, whatever the answers said.
    let database = try Database(path: options.databasePath, readers: 1)
    let booked = try database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings WHERE state = 'booked'") }
    let fullest = try database.read {
        try $0.scalarInt("SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM bookings WHERE state = 'booked' GROUP BY service_id, slot_start)")
    }
    let duplicates = try database.read {
        try $0.scalarInt("SELECT COUNT(*) FROM (SELECT codice_fiscale FROM bookings GROUP BY codice_fiscale HAVING COUNT(*) > 1)")
    }

    let clear: Set<String> = ["held", "booked", "slot_full", "hold_expired", "rate_limited"]
    let unclear = report.outcomes.filter { !clear.contains($0.key) }.values.reduce(0, +)
    for (outcome, count) in report.outcomes.sorted(by: { $0.value > $1.value }) {
        print("  " + outcome.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%7d", count))
    }
    print(String(format: "  requests %d in %.1f s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms",
                 report.requests, elapsed, report.latency["p50"] ?? 0, report.latency["p90"] ?? 0, report.latency["p99"] ?? 0,
                 report.latency["p99.9"] ?? 0))
    print(String(format: "  bookings in the database: %lld of %d places; fullest slot %lld of %d desks; people booked twice: %lld",
                 booked, released, fullest, service.capacity, duplicates))
    print(String(format: "  server memory: %.1f MB before, %.1f MB peak during the rush", baseline, peakMemory))
    print("  answers without a clear code: \(unclear); socket errors: \(report.socketErrors)")

    var failures: [String] = []
    if booked != Int64(released) { failures.append("\(booked) bookings for \(released) places") }
    if report.outcomes["booked", default: 0] != Int(booked) { failures.append("\(report.outcomes["booked", default: 0]) success answers for \(booked) bookings") }
    if fullest > Int64(service.capacity) { failures.append("a slot has \(fullest) bookings for \(service.capacity) desks") }
    if duplicates > 0 { failures.append("\(duplicates) people booked twice") }
    if unclear > 0 { failures.append("\(unclear) answers without a clear error code") }
    if report.socketErrors > 0 { failures.append("\(report.socketErrors) socket errors or timeouts") }
    let p99 = report.latency["p99"] ?? .infinity
    print("  targets: zero overbooking \(fullest <= Int64(service.capacity) && booked <= Int64(released) ? "met" : "MISSED"), " +
          "p99 ≤ 100 ms \(p99 <= 100 ? "met" : "MISSED") (\(String(format: "%.1f", p99)) ms), " +
          "memory ≤ 50 MB \(peakMemory <= 50 ? "met" : "MISSED") (\(String(format: "%.1f", peakMemory)) MB)")
    if !failures.isEmpty { print("rush: FAILED: " + failures.joined(separator: "; ")) }
    return failures.isEmpty
}
