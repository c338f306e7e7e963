import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloTesting

// The fuzz harness for the HTTP request parser, the form decoder, the configuration loader, the codice
// fiscale validator and every POST route of the endpoint, in process (FuzzTarget).
//
// Built normally it is a seeded random fuzzer, bounded in time:
//     swift run -c release sportello-fuzz --target all --seconds 20 [--seed N] [--corpus Tests/fuzz/corpus]
// Built with `-sanitize=fuzzer -DLIBFUZZER` (Tests/fuzz/run --libfuzzer) it is a libFuzzer target, guided by
// coverage, reading FUZZ_TARGET from the environment.
//
// A failed property, a crash (signal) or a hang (over 10 s on one input) writes the input to
// .build/fuzz-failures/ and exits non-zero.

/// The input being run, kept where a signal handler can write it out: a crash must leave its input behind.
nonisolated(unsafe) private var currentInput = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 20)
nonisolated(unsafe) private var currentLength = 0
nonisolated(unsafe) private var crashFile: Int32 = -1

private func remember(_ input: [UInt8]) {
    currentLength = min(input.count, 1 << 20)
    input.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress { currentInput.update(from: base, count: currentLength) }
    }
}

/// Writes the input to `crashFile` with async-signal-safe calls only, then leaves.
private func installCrashHandlers() {
    let handler: @convention(c) (Int32) -> Void = { signal in
        if crashFile >= 0 {
            _ = ftruncate(crashFile, 0)
            _ = pwrite(crashFile, currentInput, currentLength, 0)
        }
        let message =
            signal == SIGALRM
            ? "sportello-fuzz: an input ran for over 10 s (hang)\n" : "sportello-fuzz: crashed on an input\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(3)
    }
    for signal in [SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGABRT, SIGALRM] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigaction(signal, &action, nil)
    }
}

#if LIBFUZZER
private let libFuzzerTarget = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? "") ?? .http

@_silgen_name("LLVMFuzzerRunDriver")
private func runLibFuzzer(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_silgen_name("LLVMFuzzerMutate")
private func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// For the endpoint target, half of libFuzzer's mutations are the target's own (a field set to an extreme
/// integer, a route or flag changed), which byte edits would seldom find; the other targets keep libFuzzer's.
@_cdecl("LLVMFuzzerCustomMutator")
public func libFuzzerCustomMutator(
    _ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32
) -> Int {
    guard let data else { return 0 }
    var rng = SplitMix64(state: UInt64(seed))
    guard libFuzzerTarget == .endpoint, Bool.random(using: &rng) else { return libFuzzerMutate(data, size, maxSize) }
    let mutated = libFuzzerTarget.mutate(Array(UnsafeBufferPointer(start: data, count: size)), &rng)
    let count = min(mutated.count, maxSize)
    mutated.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress { data.update(from: base, count: count) }
    }
    return count
}

/// SwiftPM links an executable's entry point under this name; libFuzzer's driver takes over from here.
@_cdecl("sportello_fuzz_main")
public func libFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return runLibFuzzer(&count, &vector) { data, size in
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        if let failure = libFuzzerTarget.check(input) { fatalError("\(libFuzzerTarget.rawValue): \(failure)") }
        return 0
    }
}
#else
@main
struct FuzzCommand {
    static func main() {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: String) -> String {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return arguments[index + 1]
        }
        let targets =
            option("--target", "all") == "all"
            ? FuzzTarget.allCases : [FuzzTarget(rawValue: option("--target", ""))].compactMap { $0 }
        guard !targets.isEmpty else {
            print(
                """
                usage: sportello-fuzz [--target http|form|config|cf|endpoint|all] [--seconds 20] [--seed N] [--corpus \
                Tests/fuzz/corpus]
                """
            )
            exit(2)
        }
        let seconds = Double(option("--seconds", "20")) ?? 20
        let seed = UInt64(option("--seed", "")) ?? UInt64(time(nil))
        let corpus = option("--corpus", "Tests/fuzz/corpus")
        let failures = ".build/fuzz-failures"
        try? FileManager.default.createDirectory(atPath: failures, withIntermediateDirectories: true)
        installCrashHandlers()
        print("sportello-fuzz: seed \(seed), \(Int(seconds)) s per target (rerun with --seed \(seed) to reproduce)")
        var failed = false
        for target in targets {
            let seeds = loadSeeds("\(corpus)/\(target.rawValue)")
            crashFile = open("\(failures)/\(target.rawValue)-seed\(seed).crash", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var rng = SplitMix64(
                state: seed &+ UInt64(FuzzTarget.allCases.firstIndex(of: target) ?? 0) &* 0x1_0000_0001)
            var inputs = 0
            let start = Date()
            var failure: (String, [UInt8])?
            while failure == nil, Date().timeIntervalSince(start) < seconds {
                for _ in 0..<256 {
                    let input: [UInt8]
                    if seeds.isEmpty || Int.random(in: 0..<16, using: &rng) == 0 {
                        input = (0..<Int.random(in: 0...300, using: &rng)).map { _ in
                            UInt8.random(in: 0...255, using: &rng)
                        }
                    } else {
                        var mutated = seeds.randomElement(using: &rng) ?? []
                        for _ in 0..<Int.random(in: 1...3, using: &rng) { mutated = target.mutate(mutated, &rng) }
                        input = mutated
                    }
                    remember(input)
                    alarm(10)
                    if let problem = target.check(input) {
                        failure = (problem, input)
                        break
                    }
                    inputs += 1
                }
            }
            alarm(0)
            close(crashFile)
            unlink("\(failures)/\(target.rawValue)-seed\(seed).crash")
            let elapsed = Date().timeIntervalSince(start)
            if let (problem, input) = failure {
                let path = "\(failures)/\(target.rawValue)-seed\(seed)-input\(inputs).bin"
                _ = FileManager.default.createFile(atPath: path, contents: Data(input))
                print("  \(target.rawValue): FAILED after \(inputs) inputs: \(problem) (input in \(path))")
                failed = true
            } else {
                print(
                    String(
                        format:
                            "  %@: %d inputs in %.1f s (%.0f/s) from %d seeds, no crash, no hang, every property held",
                        target.rawValue, inputs, elapsed, Double(inputs) / elapsed, seeds.count))
            }
        }
        exit(failed ? 1 : 0)
    }

    static func loadSeeds(_ folder: String) -> [[UInt8]] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return files.sorted().compactMap { FileManager.default.contents(atPath: "\(folder)/\($0)").map(Array.init) }
    }
}
#endif
