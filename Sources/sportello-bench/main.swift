import Foundation
import SportelloApp
import SportelloCore
import SportelloNotify
import SportelloSite
import SportelloTesting

/// sportello-bench build [--services N[,N…]] [--weeks W] [--runs R] [--languages it,en]: see BuildBench.swift.

/// How busy the machine is with other work: the share of all cores used during `seconds` while this process
/// waits. The development machines are shared; a figure taken beside someone else's build is not comparable.
func backgroundLoad(seconds: Double = 1) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return (0, 0) }
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

// The courier process that serve's notifications start (never a command a person types).
CourierProcess.runIfAsked(CommandLine.arguments)
let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "build"
@MainActor func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

/// A number option, checked: a value that is not a whole number in `range` stops the bench with a message
/// instead of being replaced by a default (a figure must be measured with the arguments it says it used).
@MainActor func number(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
    guard arguments.contains(name) else { return fallback }
    guard let value = Int(option(name, "")), range.contains(value) else {
        print(
            "sportello-bench \(command): \(name) wants a whole number from \(range.lowerBound) to \(range.upperBound)")
        exit(2)
    }
    return value
}

@MainActor func numbers(_ name: String, _ fallback: String, _ range: ClosedRange<Int>) -> [Int] {
    let text = option(name, fallback)
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
    guard !values.isEmpty, values.allSatisfy({ $0.map(range.contains) ?? false }) else {
        print(
            """
            sportello-bench \(command): \(name) wants whole numbers from \(range.lowerBound) to \(range.upperBound), \
            separated by commas
            """
        )
        exit(2)
    }
    return values.compactMap { $0 }
}

/// `--mail off|on|both` (the benches that write): which runs to make.
@MainActor func mailChoices() -> [Bool] {
    switch option("--mail", "off") {
    case "off": return [false]
    case "on": return [true]
    case "both": return [false, true]
    default:
        print("sportello-bench \(command): --mail wants off, on or both")
        exit(2)
    }
}

/// `--mail off|on|smtp|both|all` for `endpoint`: "on" hands each mail to a trivial sendmail, "smtp" speaks it to
/// an SMTP sink inside the bench; "both" is off and on, "all" off, on and smtp.
@MainActor func endpointMailChoices() -> [String] {
    switch option("--mail", "off") {
    case "off", "on", "smtp": return [option("--mail", "off")]
    case "both": return ["off", "on"]
    case "all": return ["off", "on", "smtp"]
    default:
        print("sportello-bench endpoint: --mail wants off, on, smtp, both or all")
        exit(2)
    }
}

switch command {
case "build":
    let sizes = numbers("--services", "100", 1...10_000)
    let weeks = number("--weeks", 13, 1...104)
    let runs = number("--runs", 3, 1...100)
    let passed = try buildBenchmark(
        sizes: sizes, weeks: weeks, runs: runs,
        languages: option("--languages", "it").split(separator: ",").map(String.init),
        templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "startup":
    let services = number("--services", 1000, 1...10_000)
    let runs = number("--runs", 3, 1...100)
    exit(
        try startupBenchmark(services: services, runs: runs, templates: option("--templates", "site-templates")) ? 0 : 1
    )
case "endpoint":
    let sizes = numbers("--services", "10,1000", 1...10_000)
    let clients = number("--clients", 32, 1...1_000)
    let bookings = number("--bookings", 5000, 1...1_000_000)
    let mails = endpointMailChoices()
    print(
        "sportello-bench endpoint: \(clients) keep-alive clients, one thread and one socket each, hold + confirm each, "
            + "loopback, synchronous=FULL; "
            + String(format: "other work on the machine: %.0f%% of its cores", backgroundLoad() * 100))
    print(
        String(
            format: "anchor: %.0f durable single-row transactions/s on this disk (one fdatasync each), measured now",
            try fdatasyncRate()))
    // With desks, every service books its own desks through the interval check (SyntheticComune).
    guard let deskChoices = ["off": [false], "on": [true], "both": [false, true]][option("--desks", "off")] else {
        print("sportello-bench endpoint: --desks wants off, on or both")
        exit(2)
    }
    print("services  mail  desks  clients   open  booked  bookings/s  p50 ms  p99 ms  failed")
    for services in sizes {
        for mail in mails {
            for desks in deskChoices {
                try endpointBenchmark(
                    services: services, clients: clients, bookings: bookings, mail: mail != "off", desks: desks,
                    smtp: mail == "smtp",
                    workers: arguments.contains("--workers") ? number("--workers", 16, 1...1_024) : nil,
                    templates: option("--templates", "site-templates"))
            }
        }
    }
case "wrk":
    let passed = try wrkEndpointBenchmark(
        sizes: numbers("--services", "10,1000", 1...10_000), clients: number("--clients", 64, 1...10_000),
        seconds: number("--seconds", 10, 1...3_600), threads: number("--threads", 2, 1...64),
        mails: mailChoices(), templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "static":
    let passed = try staticBenchmark(
        services: number("--services", 100, 1...10_000), clients: number("--clients", 64, 1...10_000),
        seconds: number("--seconds", 10, 1...3_600), threads: number("--threads", 2, 1...64),
        templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "rush":
    let passed = try rushBenchmark(
        clients: number("--clients", 5000, 1...100_000), places: number("--places", 500, 1...100_000),
        seconds: number("--seconds", 20, 1...3_600), thinkMilliseconds: number("--think-ms", 2000, 0...600_000),
        threads: number("--threads", 2, 1...64),
        workers: arguments.contains("--workers") ? number("--workers", 4, 1...1_024) : nil,
        templates: option("--templates", "site-templates"))
    exit(passed ? 0 : 1)
case "gzip":
    exit(try gzipBenchmark(folder: option("--folder", "output"), rounds: number("--rounds", 5, 1...1_000)) ? 0 : 1)
case "comune":
    // The synthetic comune's sportello.json on standard output, to measure a `sportello serve` of it (docs/SCALE.md);
    // with --folder, the comune `sportello-bench build` measures (configuration and seeded database) written there,
    // for benches outside this program (Tests/bench/hugo).
    let services = number("--services", 100, 1...10_000)
    if arguments.contains("--folder") {
        try exportComune(
            services: services, weeks: number("--weeks", 13, 1...104),
            languages: option("--languages", "it").split(separator: ",").map(String.init),
            folder: option("--folder", "."))
    } else {
        FileHandle.standardOutput.write(try SyntheticComune.json(services: services))
    }
default:
    print(
        """
        usage: sportello-bench build [--services 10,100,1000] [--weeks 13] [--runs 3] [--languages it,en]
               sportello-bench startup [--services 1000] [--runs 3]
               sportello-bench endpoint [--services 10,1000] [--clients 32] [--bookings 5000] [--mail off|on|smtp|both|all] \
               [--desks off|on|both] [--workers N]
               sportello-bench rush [--clients 5000] [--places 500] [--seconds 20] [--think-ms 2000] [--threads 2] \
        [--workers N]
               sportello-bench wrk [--services 10,1000] [--clients 64] [--seconds 10] [--threads 2] [--mail \
        off|on|both]
               sportello-bench static [--services 100] [--clients 64] [--seconds 10]
               sportello-bench comune [--services 100] [--folder DIR [--weeks 13] [--languages it,en]]
               sportello-bench gzip [--folder output] [--rounds 5]
        """
    )
    exit(2)
}
