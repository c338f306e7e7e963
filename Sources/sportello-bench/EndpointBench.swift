import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting
import Synchronization

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// The anchor for write figures: tiny durable transactions (one row each, synchronous=FULL, WAL), one after
/// another for `seconds`, on the same disk as the benches' databases. Transactions per second.
func fdatasyncRate(seconds: Double = 2) throws -> Double {
    let folder = try benchFolder("sportello-anchor-\(getpid())")
    defer { finish(folder) }
    let database = try Database(path: "\(folder.path)/anchor.sqlite", readers: 1)
    // First past one automatic checkpoint (1,000 pages), as a serving database long is: the log then reuses
    // its file instead of growing it, and a flush no longer has the file's size to write as well.
    for index in 0..<1_200 {
        try database.write(durable: false) {
            try $0.execute("INSERT INTO audit (at, actor, action) VALUES (?, 'warm-up', 'x')", .int(Int64(index)))
        }
    }
    let start = monotonicSeconds()
    var count = 0
    while monotonicSeconds() - start < seconds {
        try database.write {
            try $0.execute("INSERT INTO audit (at, actor, action) VALUES (?, 'anchor', 'x')", .int(Int64(count)))
        }
        count += 1
    }
    return Double(count) / (monotonicSeconds() - start)
}

/// A trivial mail program (reads nothing, succeeds) for benches with mail on: the hand-over's own cost only.
func trivialSendmail(in folder: String) -> String {
    let path = "\(folder)/sendmail"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
        atPath: path, contents: Data("#!/bin/sh\nexit 0\n".utf8), attributes: [.posixPermissions: 0o755])
    return path
}

/// CPU seconds of this process's descendants that are still running (the courier, and the sendmails it has reaped
/// or still runs), from `/proc`: the mail's CPU outside the bench's own figure. 0 where `/proc` cannot be read.
func descendantsCPUSeconds(of pid: Int32 = getpid()) -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    guard ticks > 0, let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
        return 0
    }
    var total = 0.0
    for task in tasks {
        guard let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)
        else { continue }
        for child in children.split(separator: " ").compactMap({ Int32($0) }) {
            // After the name's ")": state is field 3, so utime, stime, cutime and cstime (14–17) are 11–14 here.
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 14 else { continue }
            total += fields[11...14].compactMap { Double($0) }.reduce(0, +) / ticks
            total += descendantsCPUSeconds(of: child)
        }
    }
    return total
}

/// How many endpoint runs this process has started: each gets a folder of its own.
private let endpointRuns = Atomic<Int>(0)

/// Hold + confirm throughput with `clients` concurrent keep-alive clients, each its own thread and socket
/// (all opened and checked before the clock starts), then the delay from a confirmation's answer to its week
/// page changing on disk. `mail`: each confirmation also queues a mail, handed to a trivial sendmail, or with
/// `smtp` spoken to an SMTP sink inside the bench (its CPU counts: it stands for the MTA). `workers`: the server's
/// worker threads (`HTTPLimits.workers`; nil: the default).
func endpointBenchmark(
    services: Int, clients: Int, bookings: Int, mail: Bool, desks: Bool = false, smtp: Bool = false,
    workers: Int? = nil, templates: String
) throws {
    var configuration = try SyntheticComune.configuration(services: services, weeks: 13, desks: desks)
    // Every client comes from 127.0.0.1, so the per-address caps are off; the per-person limit stays at its
    // default (each booking is another person's, so it refuses nobody but is checked on every confirmation).
    configuration.booking.requestsPerMinutePerAddress = 0
    configuration.limits = .unlimited
    // A folder of its own for each run: the previous run's database may close after this one has opened, and a
    // closing SQLite connection removes its write-ahead log by name (the database is not to be deleted while open).
    let run = endpointRuns.add(1, ordering: .relaxed).newValue
    let folder = try benchFolder("sportello-endpoint-\(getpid())-\(services)-\(run)")
    defer { finish(folder) }
    configuration.notifications.email = mail
    let mailFolder = mail ? try benchFolder("sportello-endpoint-\(getpid())-\(services)-\(run)-mail") : nil
    defer { mailFolder.map(finish) }
    if let mailFolder { configuration.notifications.sendmailPath = trivialSendmail(in: mailFolder.path) }
    // The sink counts each Message-ID (exactly once?) but keeps no text: 4,000 mails would be 40 MB of Strings.
    let sink = smtp ? try SMTPSink(keepsMessages: false) : nil
    defer { sink?.stop() }
    if let sink { configuration.notifications.smtp = SMTPServerAddress(sink.address) }
    var options = Options()
    options.templatesPath = templates
    options.outputPath = "\(folder.path)/output"
    options.databasePath = "\(folder.path)/db.sqlite"
    let site = try LoadedSite(configuration: configuration, options: options)
    let now = currentInstant()
    let (application, _) = try site.openApplication()
    let (holdsPath, bookingsPath) = (site.renderer.layout.api(.holds), site.renderer.layout.api(.bookings))
    application.startBackgroundWork()
    var limits = HTTPLimits.standard
    if let workers { limits.workers = workers }
    // Every client comes from 127.0.0.1: the clients and the page step's own connection (the 65th of 64 clients,
    // refused while the clients' connections were still open, which left that step with no samples).
    limits.maxConnectionsPerAddress = max(limits.maxConnectionsPerAddress, clients + 1)
    let server = HTTPServer(port: 0, limits: limits, responder: application)
    try server.start()
    defer {
        server.stop()
        application.stopBackgroundWork()
    }

    // Every desk of every bookable slot, spread over services, as the work list; the first 100 single-desk slots
    // are kept aside for the confirmation → page step, so the bookings cannot use them all up.
    var candidates: [(String, Int64)] = []
    var singleDeskAside: [(String, Int64)] = []
    let today = RomeTime.local(now).date
    outer: for day in 1...60 {
        for service in site.catalogue.services {
            for slot in service.slots(on: today.adding(days: day))
            where service.availability(of: slot, occupancy: .empty, now: now).state == .free {
                if service.capacity == 1 && singleDeskAside.count < 100 {
                    singleDeskAside.append((service.id, slot.startInstant))
                    continue
                }
                for _ in 0..<service.capacity { candidates.append((service.id, slot.startInstant)) }
                if candidates.count >= bookings + 600 && singleDeskAside.count >= 100 { break outer }
            }
        }
    }
    let work = candidates
    let people = madeUpCodiciFiscali(bookings + singleDeskAside.count)
    // The form of the `index`th booking's person: a codice fiscale and a mail address of their own.
    let person: @Sendable (Int) -> String = { index in
        "nome=Mario&cognome=Rossi&codice_fiscale=\(people[index])&email=cittadino\(index)%40example.it"
            + "&cellulare=3331234567&note=x"
    }
    let next = Locked(0)
    let latencies = Locked<[Double]>([])
    // Each booking's start, hold and whole time: where in the run the slowest fall, and in which request.
    let timings = Locked<[BookingTiming]>([])
    let failures = Locked(0)
    // Every client connects first; the clock starts when all are connected (or have failed to).
    let ready = DispatchGroup()
    let go = DispatchSemaphore(value: 0)
    let open = Atomic<Int>(0)
    for _ in 0..<clients { ready.enter() }
    let port = server.port
    let finished = DispatchGroup()
    for _ in 0..<clients {
        finished.enter()
        let thread = Thread {
            defer { finished.leave() }
            let client = BenchClient(port: port)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length)
            // Connected means really open: the server's event loop has answered one request on it.
            let usable = client.connected && error == 0 && client.post(holdsPath, "service=&slot=").0 > 0
            if usable { open.add(1, ordering: .relaxed) }
            ready.leave()
            go.wait()
            guard usable else { return }
            while true {
                let index = next.withLock { value -> Int in
                    value += 1
                    return value - 1
                }
                guard index < bookings else { break }
                let (service, slot) = work[index]
                let begin = monotonicSeconds()
                let (holdStatus, holdBody) = client.post(holdsPath, "service=\(service)&slot=\(slot)")
                guard holdStatus == 201,
                    let token = BenchClient.holdToken(in: holdBody)
                else {
                    failures.withLock { $0 += 1 }
                    continue
                }
                let held = monotonicSeconds()
                let (status, _) = client.post(bookingsPath, "hold=\(token)&\(person(index))")
                if status == 201 {
                    let end = monotonicSeconds()
                    latencies.withLock { $0.append(end - begin) }
                    timings.withLock { $0.append(BookingTiming(start: begin, hold: held - begin, whole: end - begin)) }
                } else {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        thread.stackSize = 512 * 1024
        thread.start()
    }
    ready.wait()
    let reallyOpen = open.load(ordering: .relaxed)
    let cpuBefore = processCPUSeconds()
    let mailCPUBefore = mail ? descendantsCPUSeconds() : 0
    let start = monotonicSeconds()
    for _ in 0..<clients { go.signal() }
    finished.wait()
    let elapsed = monotonicSeconds() - start
    let cpu = processCPUSeconds() - cpuBefore
    let mailCPU = mail ? max(0, descendantsCPUSeconds() - mailCPUBefore) : 0
    let done = latencies.withLock { $0 }
    print(
        String(format: "%8d  ", services) + (smtp ? "smtp" : mail ? "  on" : " off") + (desks ? "     on" : "    off")
            + String(
                format: "  %7d  %5d  %6d  %10.0f  %6.1f  %6.1f  %6d", clients, reallyOpen, done.count,
                Double(done.count) / elapsed, percentile(done, 0.5) * 1000, percentile(done, 0.99) * 1000,
                failures.withLock { $0 }))
    if reallyOpen < clients { print("endpoint: only \(reallyOpen) of \(clients) clients could connect") }
    // Rates move 1.5–3× with the machine's other work; the CPU a booking costs moves far less, so A/B
    // comparisons on a busy machine read this line (server and the bench's own clients, one process).
    print(
        String(
            format: "          CPU while booking: %.2f ms per booking (server and clients, %.1f s of CPU in %.1f s)",
            cpu / Double(max(done.count, 1)) * 1000, cpu, elapsed))
    if mail {
        // The courier and the programs it starts are processes of their own: their CPU while the bookings ran is
        // the mail's share of the cores the answers did not get (through sendmail, a process per message).
        print(
            String(
                format: "          mail processes' CPU while booking: %.3f ms per booking (%.2f s; courier, programs)",
                mailCPU / Double(max(done.count, 1)) * 1000, mailCPU))
    }
    print(BookingTiming.slowestSummary(timings.withLock { $0 }, start: start, elapsed: elapsed))
    if mail {
        // Does mail keep up? Every confirmation queued one message: wait (at most a minute) for the last to be
        // handed over, and compare the mail rate with the booking rate.
        let outbox = try Database(path: options.databasePath, readers: 1)
        let pending = {
            try outbox.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead = 0") }
        }
        let deadline = monotonicSeconds() + 60
        var left = try pending()
        while left > 0 && monotonicSeconds() < deadline {
            usleep(10_000)
            left = try pending()
        }
        let sent = try outbox.read { try $0.scalarInt("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL") }
        let total = monotonicSeconds() - start
        print(
            String(
                format:
                    """
                              mail: %lld messages handed over (%lld still waiting), the last %.1f s after the last \
                    booking: %.0f mails/s
                    """,
                sent, left,
                total - elapsed, Double(sent) / total))
        if let sink { reportSink(sink, expected: Int(sent), bookingsEnded: start + elapsed) }
    }

    // Confirmation → week page on disk, one booking at a time. Only single-desk services: there the
    // confirmation turns a held cell into a booked one, while on a two-desk slot one place stays free
    // either way and the page does not change.
    let client = BenchClient(port: server.port)
    var delays: [Double] = []
    // Why a slot set aside gave no sample (the last answer that was not 201), printed with the figure.
    var unmeasured: [String] = []
    for (sample, (service, slot)) in singleDeskAside.enumerated() {
        let monday = RomeTime.local(slot).date.mondayOfWeek
        let path = "\(options.outputPath)/\(site.renderer.layout.file(.week(service, monday: monday), language: "it"))"
        let before = FileManager.default.contents(atPath: path)
        let (holdStatus, holdBody) = client.post(holdsPath, "service=\(service)&slot=\(slot)")
        guard holdStatus == 201, let token = BenchClient.holdToken(in: holdBody) else {
            unmeasured.append("hold \(holdStatus)")
            continue
        }
        // Let the hold's own republish finish, so only the confirmation's is measured.
        var settled = FileManager.default.contents(atPath: path)
        let settleDeadline = monotonicSeconds() + 1
        while settled == before && monotonicSeconds() < settleDeadline {
            usleep(100)
            settled = FileManager.default.contents(atPath: path)
        }
        usleep(2_000)
        settled = FileManager.default.contents(atPath: path)
        // Timed from the moment the confirmation is sent, so its own handling counts too.
        let sent = monotonicSeconds()
        let (status, _) = client.post(bookingsPath, "hold=\(token)&\(person(bookings + sample))")
        guard status == 201 else {
            unmeasured.append("confirmation \(status)")
            continue
        }
        let deadline = sent + 2
        while FileManager.default.contents(atPath: path) == settled && monotonicSeconds() < deadline { usleep(50) }
        delays.append(monotonicSeconds() - sent)
    }
    print(
        String(
            format: "          confirmation sent → week page on disk (%d samples): p50 %.2f ms, p99 %.2f ms",
            delays.count,
            percentile(delays, 0.5) * 1000, percentile(delays, 0.99) * 1000))
    if let last = unmeasured.last { print("          \(unmeasured.count) slot(s) not measured; the last: \(last)") }
}
