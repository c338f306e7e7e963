import Foundation
import SportelloApp
import SportelloCore
import SportelloSite

/// sportello-bench build [--services N[,N…]] [--weeks W] [--runs R] [--languages it,en]: see BuildBench.swift.

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// How busy the machine is with other work: the share of all cores used during `seconds` while this process
/// waits. The development machines are shared; a figure taken beside someone else's build is not comparable.
func backgroundLoad(seconds: Double = 1) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return (0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count > 4 else { return (0, 0) }
        let total = fields.reduce(0, +)
        return (total - fields[3] - fields[4], total)
    }
    let before = sample()
    usleep(UInt32(seconds * 1_000_000))
    let after = sample()
    let total = after.total - before.total
    return total > 0 ? (after.busy - before.busy) / total : 0
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "build"
@MainActor func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

switch command {
case "build":
    let sizes = option("--services", "100").split(separator: ",").compactMap { Int($0) }
    guard let weeks = Int(option("--weeks", "13")), (1...104).contains(weeks),
          let runs = Int(option("--runs", "3")), runs >= 1, !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 }) else {
        print("build: --services N[,N…] ≥ 1, --weeks 1…104, --runs ≥ 1")
        exit(2)
    }
    let passed = try buildBenchmark(sizes: sizes, weeks: weeks, runs: runs,
                                    languages: option("--languages", "it").split(separator: ",").map(String.init),
                                    templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "startup":
    guard let services = Int(option("--services", "1000")), services >= 1, let runs = Int(option("--runs", "3")), runs >= 1 else {
        print("startup: --services N ≥ 1, --runs ≥ 1")
        exit(2)
    }
    exit(try startupBenchmark(services: services, runs: runs, templates: option("--templates", "site-templates")) ? 0 : 1)
case "endpoint":
    let sizes = option("--services", "10,1000").split(separator: ",").compactMap { Int($0) }
    let clients = Int(option("--clients", "32")) ?? 32
    let bookings = Int(option("--bookings", "5000")) ?? 5000
    print("sportello-bench endpoint: \(clients) concurrent keep-alive clients, hold + confirm each, loopback")
    print("services  clients  booked  bookings/s  p50 ms    p99 ms    failed")
    for services in sizes {
        try endpointBenchmark(services: services, clients: clients, bookings: bookings, templates: option("--templates", "site-templates"))
    }
case "wrk":
    let passed = try wrkEndpointBenchmark(sizes: option("--services", "10,1000").split(separator: ",").compactMap { Int($0) },
                                          clients: Int(option("--clients", "64")) ?? 64, seconds: Int(option("--seconds", "10")) ?? 10,
                                          threads: Int(option("--threads", "2")) ?? 2, templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "static":
    let passed = try staticBenchmark(services: Int(option("--services", "100")) ?? 100, clients: Int(option("--clients", "64")) ?? 64,
                                     seconds: Int(option("--seconds", "10")) ?? 10, threads: Int(option("--threads", "2")) ?? 2,
                                     templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "rush":
    let passed = try rushBenchmark(clients: Int(option("--clients", "5000")) ?? 5000, places: Int(option("--places", "500")) ?? 500,
                                   seconds: Int(option("--seconds", "20")) ?? 20, thinkMilliseconds: Int(option("--think-ms", "2000")) ?? 2000,
                                   threads: Int(option("--threads", "2")) ?? 2, workers: Int(option("--workers", "")),
                                   templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
default:
    print("usage: sportello-bench build [--services 10,100,1000] [--weeks 13] [--runs 3] [--languages it,en]\n       sportello-bench startup [--services 1000] [--runs 3]\n       sportello-bench endpoint [--services 10,1000] [--clients 32] [--bookings 5000]\n       sportello-bench rush [--clients 5000] [--places 500] [--seconds 20] [--think-ms 2000] [--threads 2] [--workers N]\n       sportello-bench wrk [--services 10,1000] [--clients 64] [--seconds 10]\n       sportello-bench static [--services 100] [--clients 64] [--seconds 10]")
    exit(2)
}
