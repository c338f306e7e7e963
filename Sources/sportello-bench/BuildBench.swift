import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloStore

/// `sportello-bench build`: whole `sportello build` processes on a synthetic comune whose occupancy lives in
/// SQLite, so every figure includes what a real build does (start-up, reading the configuration and the
/// templates, SQLite reads, rendering, writing each page and its `.gz`).
/// - cold: `output/` is empty, every file is created;
/// - warm: `output/` holds this very build, so each page is compared with the file on disk and not rewritten;
/// - floor: `cp -r` of the built tree onto an empty folder: the same files and bytes with no rendering at all.
/// Neither the build nor `cp` syncs to disk (pages are re-rendered at every start of `serve`).
func buildBenchmark(sizes: [Int], weeks: Int, runs: Int, languages: [String], templates: String) throws -> Bool {
    let binary = ProcessInfo.processInfo.environment["SPORTELLO_BIN"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sportello").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("build: \(binary) is not an executable; build it (swift build -c release) or set SPORTELLO_BIN")
        return false
    }
    print("sportello-bench build: whole `\(binary) build` processes; \(weeks) weeks, languages \(languages.joined(separator: "+")), " +
          "\(runs) runs each (medians), \(ProcessInfo.processInfo.activeProcessorCount) cores, " +
          String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    print("services  pages  files   MB   bookings  cold ms  cold pages/s  warm ms  warm pages/s  floor ms  cold/floor  peak RSS MB")
    var passed = true
    for services in sizes {
        let folder = NSTemporaryDirectory() + "sportello-bench-build-\(getpid())-\(services)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // SPORTELLO_BENCH_KEEP=1 leaves the comune, its database and output/ behind, to profile a build by hand.
        let keep = ProcessInfo.processInfo.environment["SPORTELLO_BENCH_KEEP"] == "1"
        defer { if keep { print("kept \(folder)") } else { try? FileManager.default.removeItem(atPath: folder) } }
        let config = "\(folder)/sportello.json"
        try SyntheticComune.json(services: services, weeks: weeks, languages: languages).write(to: URL(fileURLWithPath: config))
        let database = "\(folder)/sportello.sqlite"
        let bookings = try seedOccupancy(database: database, configuration: SyntheticComune.configuration(services: services, weeks: weeks, languages: languages))
        let output = "\(folder)/output"
        let arguments = ["build", "--config", config, "--templates", templates, "--output", output, "--database", database]

        var cold: [Double] = []
        var warm: [Double] = []
        var floor: [Double] = []
        var peak = 0.0
        var pages = 0
        for _ in 0..<runs {
            try? FileManager.default.removeItem(atPath: output)
            guard let run = timedProcess(binary, arguments) else { passed = false; break }
            cold.append(run.seconds)
            peak = max(peak, run.peakMegabytes)
            pages = run.pages
        }
        guard cold.count == runs else { print("build: `sportello build` failed at \(services) services"); continue }
        for _ in 0..<runs {
            guard let run = timedProcess(binary, arguments) else { passed = false; break }
            warm.append(run.seconds)
            peak = max(peak, run.peakMegabytes)
        }
        let (files, bytes) = treeSize(output)
        let copy = "\(folder)/floor"
        for _ in 0..<runs {
            try? FileManager.default.removeItem(atPath: copy)
            guard let run = timedProcess("/bin/cp", ["-r", output, copy]) else { passed = false; break }
            floor.append(run.seconds)
        }
        let (c, w, f) = (median(cold), median(warm), median(floor))
        print(String(format: "%8d  %5d  %5d  %5.1f  %8d  %7.0f  %12.0f  %7.0f  %12.0f  %8.0f  %10.2f  %11.1f",
                     services, pages, files, Double(bytes) / 1_048_576, bookings, c * 1000, Double(pages) / c, w * 1000,
                     Double(pages) / w, f * 1000, f > 0 ? c / f : 0, peak))
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
                        try connection.execute("INSERT INTO bookings (code, service_id, slot_start, slot_end, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'booked', ?, ?)",
                                               .text("B\(bookings)"), .text(service.id), .int(slot.startInstant), .int(slot.endInstant), .int(now), .int(now))
                    case 3:
                        try connection.execute("INSERT INTO holds (token, service_id, slot_start, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                                               .text("H-\(service.id)-\(slot.startInstant)"), .text(service.id), .int(slot.startInstant), .int(now), .int(now + 86_400))
                    default: break
                    }
                }
                day = day.adding(days: 1)
            }
            let closed = Int64(today.adding(days: 9).dayNumber) * 86_400 + 8 * 3_600
            try connection.execute("INSERT INTO blocks (service_id, starts_at, ends_at, desks, reason, created_at) VALUES (?, ?, ?, ?, 'bench', ?)",
                                   .text(service.id), .int(closed), .int(closed + 3 * 3_600), .int(Int64(service.capacity)), .int(now))
        }
        return bookings
    }
}

/// Runs a program to its end; its wall time, the pages `sportello build` says it built, and its peak memory.
/// posix_spawn and wait4 rather than Process: the child's own peak memory comes with its exit status.
func timedProcess(_ executable: String, _ arguments: [String]) -> (seconds: Double, pages: Int, peakMegabytes: Double)? {
    let log = NSTemporaryDirectory() + "sportello-bench-\(getpid()).log"
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
    guard spawned == 0 else { print("\(executable): \(String(cString: strerror(spawned)))"); return nil }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = monotonicSeconds() - start
    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    unlink(log)
    guard status == 0 else { print("\(executable) \(arguments.joined(separator: " ")) failed:\n\(text)"); return nil }
    // "built 2800 pages into …"
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return (seconds, pages, Double(usage.ru_maxrss) / 1024)
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
