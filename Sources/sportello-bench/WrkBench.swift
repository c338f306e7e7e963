import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

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

/// The morning the identity-card slots open: `clients` citizens (wrk connections) race for `places` places
/// released at once, through `sportello serve`'s HTTP server and endpoint. Checks that exactly `places`
/// bookings exist, no slot holds more than its desks, every answer was a clear one, and reports latency
/// and the server's memory. Returns false when a check failed.
func rushBenchmark(
    clients: Int, places: Int, seconds: Int, thinkMilliseconds: Int, threads: Int, workers: Int?, templates: String
) throws -> Bool {
    let now = currentInstant()
    let today = RomeTime.local(now).date
    // Past 720 places the slots go on the next working days (a day's schedule cannot run past midnight).
    let needed = SyntheticComune.daysNeeded(places: places)
    let days = Array(
        (1...(needed * 2 + 7)).map { today.adding(days: $0) }
            .filter { $0.weekday != .sunday && !ItalianHolidays.isHoliday($0) }.prefix(needed))
    guard days.count == needed, let day = days.first else {
        print("rush: not enough working days ahead for \(places) places")
        return false
    }
    var configuration = try SyntheticComune.rushConfiguration(places: places, days: days, today: today)
    // The booking path only, as in `endpoint`: no mail program started per booking.
    configuration.notifications.email = false
    // Made-up addresses collide over thousands of citizens, and all of them give one mailbox and one mobile.
    configuration.limits = .unlimited
    let bench = try BenchServer(configuration: configuration, name: "rush", workers: workers, templates: templates)
    defer { bench.stop() }
    let (site, server, folder, limits) = (bench.site, bench.server, bench.folder, bench.server.limits)

    guard let service = site.catalogue.service(id: "carta-identita") else { return false }
    let wanted = max(1, (places + service.capacity - 1) / service.capacity)
    let slots = Array(
        days.flatMap { service.slots(on: $0) }.filter {
            service.availability(of: $0, occupancy: .empty, now: now).state == .free
        }.prefix(wanted))
    let released = slots.count * service.capacity
    let placesFile = "\(folder)/places.txt"
    let peopleFile = "\(folder)/people.txt"
    try slots.map { "\(service.id) \($0.startInstant)" }.joined(separator: "\n").write(
        toFile: placesFile, atomically: true, encoding: .utf8)
    try madeUpCodiciFiscali(released * 2 + 100).joined(separator: "\n").write(
        toFile: peopleFile, atomically: true, encoding: .utf8)

    print(
        "sportello-bench rush: \(clients) citizens (wrk connections, \(threads) threads) race for \(released) places "
            + "(\(slots.count) slots × \(service.capacity) desks from \(day), \(days.count) "
            + "day\(days.count == 1 ? "" : "s")), arriving within \(thinkMilliseconds) ms, \(seconds) s, "
            + "\(limits.workers) server workers, loopback; "
            + String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    let baseline = residentMegabytes()
    let sampler = MemorySampler()
    sampler.start()
    let started = monotonicSeconds()
    guard
        let output = runWrk([
            "-t\(threads)", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s",
            "-s", benchScript("rush.lua", templates: templates), "http://127.0.0.1:\(server.port)",
            "--", placesFile, peopleFile, String(thinkMilliseconds), String(threads),
        ])
    else {
        _ = sampler.stop()
        print("rush: wrk did not run (is it installed? apt-get install wrk)")
        return false
    }
    let elapsed = monotonicSeconds() - started
    let peakMemory = sampler.stop()
    let report = WrkReport(output)
    if CommandLine.arguments.contains("--verbose") { print(output) }

    // What the database holds, whatever the answers said.
    let database = try Database(path: site.options.databasePath, readers: 1)
    let booked = try database.read { try $0.scalarInt("SELECT COUNT(*) FROM bookings WHERE state = 'booked'") }
    let fullest = try database.read {
        try $0.scalarInt(
            """
            SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM bookings WHERE state = 'booked' GROUP BY \
            service_id, slot_start)
            """
        )
    }
    let duplicates = try database.read {
        try $0.scalarInt(
            "SELECT COUNT(*) FROM (SELECT codice_fiscale FROM bookings GROUP BY codice_fiscale HAVING COUNT(*) > 1)")
    }

    let clear: Set<String> = ["held", "booked", "slot_full", "hold_expired", "rate_limited", "come_back_later"]
    let unclear = report.outcomes.filter { !clear.contains($0.key) }.values.reduce(0, +)
    for (outcome, count) in report.outcomes.sorted(by: { $0.value > $1.value }) {
        print("  " + outcome.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%7d", count))
    }
    print(
        String(
            format: "  requests %d in %.1f s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms",
            report.requests, elapsed, report.latency["p50"] ?? 0, report.latency["p90"] ?? 0,
            report.latency["p99"] ?? 0,
            report.latency["p99.9"] ?? 0))
    print(
        String(
            format:
                """
                  bookings in the database: %lld of %d places; fullest slot %lld of %d desks; people booked twice: \
                %lld
                """,
            booked, released, fullest, service.capacity, duplicates))
    print(String(format: "  server memory: %.1f MB before, %.1f MB peak during the rush", baseline, peakMemory))
    let found = bench.application.alternativesFound
    print(
        """
          alternatives offered with refusals: \(found.searches) searches, \(found.revalidations) cached answers kept \
        after a check
        """
    )
    print("  answers without a clear code: \(unclear); socket errors: \(report.socketErrors)")

    var failures: [String] = []
    if booked != Int64(released) { failures.append("\(booked) bookings for \(released) places") }
    if report.outcomes["booked", default: 0] != Int(booked) {
        failures.append("\(report.outcomes["booked", default: 0]) success answers for \(booked) bookings")
    }
    if fullest > Int64(service.capacity) {
        failures.append("a slot has \(fullest) bookings for \(service.capacity) desks")
    }
    if duplicates > 0 { failures.append("\(duplicates) people booked twice") }
    if unclear > 0 { failures.append("\(unclear) answers without a clear error code") }
    if report.socketErrors > 0 { failures.append("\(report.socketErrors) socket errors or timeouts") }
    let p99 = report.latency["p99"] ?? .infinity
    print(
        "  targets: zero overbooking "
            + "\(fullest <= Int64(service.capacity) && booked <= Int64(released) ? "met" : "MISSED"), "
            + "p99 ≤ 100 ms \(p99 <= 100 ? "met" : "MISSED") (\(String(format: "%.1f", p99)) ms), "
            + "memory ≤ 50 MB \(peakMemory <= 50 ? "met" : "MISSED") (\(String(format: "%.1f", peakMemory)) MB)")
    if !failures.isEmpty { print("rush: FAILED: " + failures.joined(separator: "; ")) }
    return failures.isEmpty
}

/// Endpoint throughput under wrk at each size: holds alone (holds.lua), then hold + confirm (rush.lua with
/// no pause) on a fresh database. Prints requests/s, successes/s and latency percentiles.
func wrkEndpointBenchmark(
    sizes: [Int], clients: Int, seconds: Int, threads: Int, mails: [Bool], templates: String
) throws -> Bool {
    print(
        "sportello-bench wrk: \(clients) wrk connections, \(threads) threads, \(seconds) s per run, loopback, "
            + "synchronous=FULL; "
            + String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    print(
        String(
            format: "anchor: %.0f durable single-row transactions/s on this disk (one fdatasync each), measured now",
            try fdatasyncRate()))
    print(
        """
        services  mail  scenario        requests/s  successes/s  p50 ms  p90 ms  p99 ms  refused  unclear  socket \
        errors
        """
    )
    var passed = true
    let mailFolder = try benchFolder("sportello-wrk-mail-\(getpid())")
    defer { finish(mailFolder) }
    for services in sizes {
        for mail in mails {
            var configuration = try SyntheticComune.configuration(services: services, weeks: 13)
            configuration.booking.maxActiveBookingsPerPerson = nil
            configuration.notifications.email = mail
            configuration.limits = .unlimited  // as in `rush`
            if mail { configuration.notifications.sendmailPath = trivialSendmail(in: mailFolder.path) }
            // Holds queue no mail: measured once, with mail off.
            for scenario in mail ? ["hold+confirm"] : ["holds", "hold+confirm"] {
                let bench = try BenchServer(configuration: configuration, name: "wrk-\(services)", templates: templates)
                defer { bench.stop() }
                let placesFile = "\(bench.folder)/places.txt"
                let peopleFile = "\(bench.folder)/people.txt"
                try bench.freePlaces(days: 90, limit: 200_000).joined(separator: "\n").write(
                    toFile: placesFile, atomically: true, encoding: .utf8)
                try madeUpCodiciFiscali(1_000).joined(separator: "\n").write(
                    toFile: peopleFile, atomically: true, encoding: .utf8)
                let script = scenario == "holds" ? "holds.lua" : "rush.lua"
                var arguments = [
                    "-t\(threads)", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s", "-s",
                    benchScript(script, templates: templates),
                    "http://127.0.0.1:\(bench.server.port)", "--", placesFile,
                ]
                if scenario != "holds" { arguments += [peopleFile, "0", String(threads)] }
                let started = monotonicSeconds()
                guard let output = runWrk(arguments) else {
                    print("wrk did not run (is it installed? apt-get install wrk)")
                    return false
                }
                let elapsed = monotonicSeconds() - started
                let report = WrkReport(output)
                let successes = report.outcomes[scenario == "holds" ? "held" : "booked", default: 0]
                let unclear = report.outcomes.filter { $0.key.hasPrefix("unclear") }.values.reduce(0, +)
                let refused = report.outcomes.filter {
                    ["slot_full", "rate_limited", "hold_expired", "come_back_later"].contains($0.key)
                }.values.reduce(0, +)
                print(
                    String(format: "%8d  ", services) + (mail ? "  on  " : " off  ")
                        + scenario.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(
                            format: "  %10.0f  %11.0f  %6.1f  %6.1f  %6.1f  %7d  %7d  %13d",
                            Double(report.requests) / elapsed, Double(successes) / elapsed, report.latency["p50"] ?? 0,
                            report.latency["p90"] ?? 0, report.latency["p99"] ?? 0, refused, unclear,
                            report.socketErrors))
                if unclear > 0 || report.socketErrors > 0 || successes == 0 { passed = false }
            }
        }
    }
    return passed
}

/// The same generated pages served by nginx (deploy/sportello-site.conf, as in production) and by
/// `sportello serve`, under the same wrk load; prints both and their ratio.
func staticBenchmark(services: Int, clients: Int, seconds: Int, threads: Int, templates: String) throws -> Bool {
    let configuration = try SyntheticComune.configuration(services: services, weeks: 13)
    let bench = try BenchServer(configuration: configuration, name: "static", templates: templates)
    defer { bench.stop() }
    let output = bench.site.options.outputPath
    var paths: [String] = []
    if let walker = FileManager.default.enumerator(atPath: output) {
        for case let file as String in walker where file.hasSuffix(".html") && !file.hasPrefix("assets/") {
            paths.append(file.hasSuffix("index.html") ? "/" + file.dropLast("index.html".count) : "/" + file)
        }
    }
    let pathsFile = "\(bench.folder)/paths.txt"
    try paths.joined(separator: "\n").write(toFile: pathsFile, atomically: true, encoding: .utf8)

    guard let nginx = NginxProcess(root: output, folder: bench.folder, templates: templates) else {
        print("static: nginx did not start (is it installed? apt-get install nginx)")
        return false
    }
    defer { nginx.stop() }
    print(
        """
        sportello-bench static: \(paths.count) pages of \(services) services, \(clients) wrk connections, \(threads) \
        threads, \(seconds) s each, gzip accepted, loopback
        """
    )
    // CPU µs/request: the server's own processor time (nginx's master and workers; this process, which runs
    // `serve`, but not wrk) per answer. On a shared machine the rate follows the share of the cores each server
    // is given; the CPU cost per request does not.
    print("server            requests/s  p50 ms  p90 ms  p99 ms  non-200  socket errors  CPU µs/req")
    var rates: [String: Double] = [:]
    var costs: [String: Double] = [:]
    let servers: [(String, Int, () -> Double)] = [
        ("nginx", nginx.port, { nginx.cpuSeconds() }), ("sportello serve", bench.server.port, { processCPUSeconds() }),
    ]
    for (name, port, cpuSeconds) in servers {
        let started = monotonicSeconds()
        let cpuBefore = cpuSeconds()
        guard
            let text = runWrk([
                "-t\(threads)", "-c\(clients)", "-d\(seconds)s", "--timeout", "10s", "-s",
                benchScript("pages.lua", templates: templates), "http://127.0.0.1:\(port)", "--", pathsFile,
            ])
        else { return false }
        let cpu = cpuSeconds() - cpuBefore
        let report = WrkReport(text)
        let rate = Double(report.requests) / (monotonicSeconds() - started)
        rates[name] = rate
        costs[name] = cpu * 1e6 / Double(max(1, report.requests))
        let failed = report.outcomes.filter { $0.key != "200" }.values.reduce(0, +)
        let columns = String(
            format: "  %10.0f  %6.2f  %6.2f  %6.2f  %7d  %13d  %10.1f", rate,
            report.latency["p50"] ?? 0, report.latency["p90"] ?? 0, report.latency["p99"] ?? 0,
            failed, report.socketErrors, costs[name] ?? 0)
        print(name.padding(toLength: 16, withPad: " ", startingAt: 0) + columns)
        if failed > 0 || report.socketErrors > 0 { return false }
    }
    print(
        String(
            format: "nginx / sportello serve: %.2f× the requests per second, %.2f× the CPU time per request",
            (rates["nginx"] ?? 0) / max(1, rates["sportello serve"] ?? 1),
            (costs["nginx"] ?? 0) / max(0.001, costs["sportello serve"] ?? 1)))
    return true
}

/// Processor time (user + system) of this process's threads so far.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A port the kernel just handed out on loopback (closed again; free unless someone takes it meanwhile).
func freeLoopbackPort() -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}
