import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloStore
import SportelloTesting

/// `sportello-bench build`: whole `sportello build` processes on a synthetic comune whose occupancy lives in
/// SQLite, so every figure includes what a real build does (start-up, reading the configuration and the
/// templates, SQLite reads, rendering, writing each page and its `.gz`).
/// - cold: `output/` is empty, every file is created;
/// - warm: `output/` holds this very build, so each page is compared with the file on disk and not rewritten
///   (a week page whose digest of its inputs is unchanged is not even rendered: `WeekInputs`);
/// - floor: `cp -r` of the built tree onto an empty folder: the same files and bytes with no rendering at all.
/// Neither the build nor `cp` syncs to disk (pages are re-rendered at every start of `serve`).
/// Each cold run and each copy goes into a folder that never existed, and nothing is deleted before the end: on a
/// file system without a journal, ext4 checks every inode deleted in the last seconds before it reuses one, which
/// made a cold run right after deleting the previous tree measure the disk's past instead of the build (up to 60%
/// of its samples). A first install builds into an empty folder too.
func buildBenchmark(sizes: [Int], weeks: Int, runs: Int, languages: [String], templates: String) throws -> Bool {
    let binary =
        ProcessInfo.processInfo.environment["SPORTELLO_BIN"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "sportello"
        ).path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("build: \(binary) is not an executable; build it (swift build -c release) or set SPORTELLO_BIN")
        return false
    }
    print(
        "sportello-bench build: whole `\(binary) build` processes (\(runtimeLinkage(of: binary))); \(weeks) weeks, "
            + "languages \(languages.joined(separator: "+")), "
            + "\(runs) runs each (medians), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
            + String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    print(
        "services  pages  files   MB   bookings  cold ms  cold pages/s  warm ms  warm pages/s  floor ms  cold/floor  "
            + "CPU s: cold  warm  floor  peak RSS MB")
    var passed = true
    for services in sizes {
        // SPORTELLO_BENCH_KEEP=1 leaves the comune, its database and output-N/ behind, to profile a build by hand.
        let temporary = try benchFolder("sportello-bench-build-\(getpid())-\(services)")
        defer { finish(temporary) }
        let folder = temporary.path
        let config = "\(folder)/sportello.json"
        try SyntheticComune.json(services: services, weeks: weeks, languages: languages).write(
            to: URL(fileURLWithPath: config))
        let database = "\(folder)/sportello.sqlite"
        let bookings = try seedOccupancy(
            database: database,
            configuration: SyntheticComune.configuration(services: services, weeks: weeks, languages: languages))
        let output = { (run: Int) in "\(folder)/output-\(run)" }
        let arguments = { (run: Int) in
            ["build", "--config", config, "--templates", templates, "--output", output(run), "--database", database]
        }

        var cold: [Double] = []
        var warm: [Double] = []
        var floor: [Double] = []
        // CPU seconds (user + system) beside the wall time: on a shared machine they move less.
        var coldCPU: [Double] = []
        var warmCPU: [Double] = []
        var floorCPU: [Double] = []
        var peak = 0.0
        var pages = 0
        for index in 0..<runs {
            guard let run = timedProcess(binary, arguments(index)) else {
                passed = false
                break
            }
            cold.append(run.seconds)
            coldCPU.append(run.cpu)
            peak = max(peak, run.peakMegabytes)
            pages = run.pages
        }
        guard cold.count == runs else {
            print("build: `sportello build` failed at \(services) services")
            continue
        }
        // Warm: again and again over the last cold run's tree.
        for _ in 0..<runs {
            guard let run = timedProcess(binary, arguments(runs - 1)) else {
                passed = false
                break
            }
            warm.append(run.seconds)
            warmCPU.append(run.cpu)
            peak = max(peak, run.peakMegabytes)
        }
        let (files, bytes) = treeSize(output(runs - 1))
        for index in 0..<runs {
            guard let run = timedProcess("/bin/cp", ["-r", output(runs - 1), "\(folder)/floor-\(index)"]) else {
                passed = false
                break
            }
            floor.append(run.seconds)
            floorCPU.append(run.cpu)
        }
        let (c, w, f) = (median(cold), median(warm), median(floor))
        print(
            String(
                format:
                    """
                    %8d  %5d  %5d  %5.1f  %8d  %7.0f  %12.0f  %7.0f  %12.0f  %8.0f  %10.2f  %11.2f %5.2f  %5.2f  \
                    %11.1f
                    """,
                services, pages, files, Double(bytes) / 1_048_576, bookings, c * 1000, Double(pages) / c, w * 1000,
                Double(pages) / w, f * 1000, f > 0 ? c / f : 0, median(coldCPU), median(warmCPU), median(floorCPU), peak
            ))
    }
    return passed
}

/// Bookings, live holds and an office closure laid over the synthetic comune, written to SQLite the way the
/// endpoint leaves them (one transaction here, to keep the set-up short). Returns how many bookings.
func seedOccupancy(database path: String, configuration: SiteConfiguration) throws -> Int {
    let database = try Database(path: path)
    let catalogue = Catalogue(configuration: configuration)
    let now = currentInstant()
    let today = RomeTime.local(now).date
    let last = today.adding(days: configuration.booking.weeksPublished * 7 + 7)
    return try database.write { connection in
        var bookings = 0
        for service in catalogue.services {
            var day = today
            while day <= last {
                for slot in service.slots(on: day) where slot.startInstant > now {
                    switch (slot.startInstant / 60) % 7 {
                    case 0:
                        bookings += 1
                        try connection.execute(
                            """
                            INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, \
                            updated_at) VALUES (?, ?, ?, ?, 'booked', ?, ?)
                            """,
                            .text("B\(bookings)"), .text(service.id), .int(slot.startInstant), .int(slot.endInstant),
                            .int(now), .int(now))
                    case 3:
                        try connection.execute(
                            """
                            INSERT INTO holds (token, service_id, slot_start, created_at, expires_at) VALUES (?, ?, ?, \
                            ?, ?)
                            """,
                            .text("H-\(service.id)-\(slot.startInstant)"), .text(service.id), .int(slot.startInstant),
                            .int(now), .int(now + 86_400))
                    default: break
                    }
                }
                day = day.adding(days: 1)
            }
            let closed = Int64(today.adding(days: 9).dayNumber) * 86_400 + 8 * 3_600
            try connection.execute(
                """
                INSERT INTO blocks (service_id, starts_at, ends_at, desks, reason, created_at) VALUES (?, ?, ?, ?, \
                'bench', ?)
                """,
                .text(service.id), .int(closed), .int(closed + 3 * 3_600), .int(Int64(service.capacity)), .int(now))
        }
        return bookings
    }
}

/// Runs a program to its end; its wall time, the pages `sportello build` says it built, and its peak memory.
/// posix_spawn and wait4 rather than Process: the child's own peak memory comes with its exit status.
func timedProcess(
    _ executable: String, _ arguments: [String]
) -> (seconds: Double, cpu: Double, pages: Int, peakMegabytes: Double)? {
    let log = NSTemporaryDirectory() + "sportello-bench-\(getpid()).log"
    defer { unlink(log) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let start = monotonicSeconds()
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard spawned == 0 else {
        print("\(executable): \(String(cString: strerror(spawned)))")
        return nil
    }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let elapsed = monotonicSeconds() - start
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    guard status == 0 else {
        print("\(executable) \(arguments.joined(separator: " ")) failed:\n\(text)")
        return nil
    }
    // "built 2800 pages into …"
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return (elapsed, seconds(usage.ru_utime) + seconds(usage.ru_stime), pages, Double(usage.ru_maxrss) / 1024)
}

/// How `binary` has the Swift runtime and Foundation: a start-up of a dynamically linked one costs a warm
/// 100-service build a quarter more CPU, so figures of the two kinds do not compare. The names of the libraries a
/// program needs lie in the first pages of its file.
func runtimeLinkage(of binary: String) -> String {
    guard let file = FileHandle(forReadingAtPath: binary) else { return "linkage unknown" }
    defer { try? file.close() }
    let head = (try? file.read(upToCount: 4 << 20)) ?? Data()
    return head.range(of: Data("libswiftCore.so".utf8)) == nil
        ? "Swift runtime linked in" : "Swift runtime linked dynamically: build with --static-swift-stdlib as installed"
}

/// Files and bytes under a folder.
func treeSize(_ root: String) -> (files: Int, bytes: Int) {
    var files = 0
    var bytes = 0
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return (0, 0) }
    for case let name as String in enumerator {
        var info = stat()
        guard stat("\(root)/\(name)", &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
        files += 1
        bytes += Int(info.st_size)
    }
    return (files, bytes)
}

/// `sportello-bench startup`: how long `sportello serve` takes to answer a GET on a comune whose pages an
/// earlier build left in `output/` (a restart), and how long until its start-up rebuild has finished.
func startupBenchmark(services: Int, runs: Int, templates: String) throws -> Bool {
    let binary =
        ProcessInfo.processInfo.environment["SPORTELLO_BIN"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "sportello"
        ).path
    let temporary = try benchFolder("sportello-bench-startup-\(getpid())")
    defer { finish(temporary) }
    let folder = temporary.path
    let config = "\(folder)/sportello.json"
    try SyntheticComune.json(services: services).write(to: URL(fileURLWithPath: config))
    let database = "\(folder)/sportello.sqlite"
    _ = try seedOccupancy(database: database, configuration: SyntheticComune.configuration(services: services))
    let common = ["--config", config, "--templates", templates, "--output", "\(folder)/output", "--database", database]
    guard timedProcess(binary, ["build"] + common) != nil else { return false }
    print(
        "sportello-bench startup: `\(binary) serve` restarted on \(services) services with their pages on disk, "
            + "\(runs) runs (medians), "
            + String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    print("services  first answer ms  rebuilt ms")
    var answers: [Double] = []
    var rebuilds: [Double] = []
    for _ in 0..<runs {
        guard let port = freeLoopbackPort() else { return false }
        let log = "\(folder)/serve.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([binary, "serve", "--port", String(port)] + common).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = monotonicSeconds()
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else { return false }
        var answered: Double?
        var rebuilt: Double?
        while monotonicSeconds() - start < 120 && (answered == nil || rebuilt == nil) {
            if answered == nil, httpStatus(port: port, path: "/") == 200 { answered = monotonicSeconds() - start }
            // A serve that builds before it listens (the earlier versions) has rebuilt by the time it answers, and
            // keeps its log unflushed; this one prints that it is serving right after it starts listening.
            if let answered, rebuilt == nil, monotonicSeconds() - start > answered + 1,
                ((try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0) == 0
            {
                rebuilt = answered
            }
            if rebuilt == nil, let text = try? String(contentsOfFile: log, encoding: .utf8),
                text.split(separator: "\n").contains(where: { $0.hasPrefix("built ") || $0.contains(" event=built ") })
            {
                rebuilt = monotonicSeconds() - start
            }
            usleep(5_000)
        }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard let answered, let rebuilt else {
            print("startup: serve did not answer or rebuild within 120 s")
            return false
        }
        answers.append(answered)
        rebuilds.append(rebuilt)
    }
    print(String(format: "%8d  %15.0f  %10.0f", services, median(answers) * 1000, median(rebuilds) * 1000))
    return true
}

/// The status of a plain GET on loopback; nil when nothing answers.
func httpStatus(port: Int, path: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    guard connected else { return nil }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    guard write(fd, request, request.count) == request.count else { return nil }
    var head = [UInt8](repeating: 0, count: 64)
    let count = read(fd, &head, head.count)
    guard count > 12 else { return nil }
    return Int(String(decoding: head[9..<12], as: UTF8.self))
}
