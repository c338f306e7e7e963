#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SportelloStore

/// Hands a message to an outside program (sendmail, an SMS gateway command) so that a worker killed at any
/// moment never causes a second send.
///
/// The message is first written whole to a spool file; a small shell wrapper feeds it to the program and
/// records the exit status in a status file. The wrapper is a process of its own: if the worker dies, the
/// wrapper still finishes, and the next worker reads the status instead of sending again. Only if the
/// wrapper itself is killed between the program's success and writing the status (a window of a few
/// microseconds) is the outcome unknown; the message is then retried, and its stable Message-ID lets the
/// mail system or the reader recognise the copy.
public struct Courier: Sendable {
    public let spool: String
    /// Longest a program may run before it is stopped and the attempt counts as failed.
    public let timeout: TimeInterval

    public init(spool: String, timeout: TimeInterval = 60) {
        self.spool = spool.hasSuffix("/") ? String(spool.dropLast()) : spool
        self.timeout = timeout
    }

    public enum Outcome: Equatable, Sendable {
        case delivered
        case failed(String)
        /// The wrapper is still running (a previous worker's): wait for it.
        case inFlight
        /// Never handed over: safe to send now.
        case notHandedOver
    }

    func base(_ id: Int64) -> String { "\(spool)/message-\(id)" }

    /// The status an earlier hand-over left, for a message a dead worker had claimed.
    public func outcome(of message: OutboxMessage) -> Outcome {
        let base = base(message.id)
        if let status = try? String(contentsOfFile: base + ".status", encoding: .utf8) {
            return finish(base, status: status)
        }
        if let pid = message.deliveryPID {
            if Self.isAlive(pid) { return .inFlight }
            // The wrapper died without a status: nobody knows whether the program accepted the message.
            cleanUp(base)
            return .failed("the delivery process \(pid) ended without a status")
        }
        if FileManager.default.fileExists(atPath: base + ".message") { cleanUp(base) }
        return .notHandedOver
    }

    /// Runs `command` with the message on standard input; `onStart` learns the wrapper's pid (to record it)
    /// before the program can finish.
    public func deliver(_ body: [UInt8], id: Int64, command: [String], onStart: (Int32) throws -> Void) -> Outcome {
        let base = base(id)
        do {
            try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
            cleanUp(base)
            try Data(body).write(to: URL(fileURLWithPath: base + ".message"), options: .atomic)
        } catch {
            return .failed("cannot write the spool file: \(error)")
        }
        guard let program = command.first else { return .failed("no delivery command is configured") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // "$0" is the spool base; the program and its arguments follow.
        process.arguments = ["-c", #""$@" < "$0.message" > /dev/null 2> "$0.error"; echo $? > "$0.status.tmp" && mv "$0.status.tmp" "$0.status""#,
                             base, program] + command.dropFirst()
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            cleanUp(base)
            return .failed("cannot start \(program): \(error.localizedDescription)")
        }
        do { try onStart(process.processIdentifier) } catch {
            // The hand-over is recorded nowhere, but the wrapper runs: wait for it like any other.
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            cleanUp(base)
            return .failed("\(program) did not finish within \(Int(timeout)) s")
        }
        let status = (try? String(contentsOfFile: base + ".status", encoding: .utf8)) ?? "\(process.terminationStatus)"
        return finish(base, status: status)
    }

    private func finish(_ base: String, status: String) -> Outcome {
        let code = status.trimmingCharacters(in: .whitespacesAndNewlines)
        let errors = (try? String(contentsOfFile: base + ".error", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        cleanUp(base)
        return code == "0" ? .delivered : .failed("exit status \(code)\(errors.isEmpty ? "" : ": \(errors)")")
    }

    private func cleanUp(_ base: String) {
        for suffix in [".message", ".error", ".status", ".status.tmp"] { unlink(base + suffix) }
    }

    /// Whether a process is alive (EPERM also means it exists).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return !isZombie(pid) }
        return errno == EPERM
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
