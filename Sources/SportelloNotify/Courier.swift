#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SportelloStore

/// Hands a message to an outside program (sendmail, an SMS gateway command) so that a worker killed at any
/// moment, or a program slower than the worker is willing to wait, never causes a second send.
///
/// Each message has three spool files beside its text (`message-<id>.message`): a lock, a "started" mark and
/// the recorded exit status. The worker takes an exclusive `flock` on the lock file and gives that open file
/// to the wrapper (a small shell process) as its standard output; the wrapper passes it on to the program. So
/// the lock is held for exactly as long as the wrapper or the program lives, whatever happens to the worker,
/// and nothing depends on the database having recorded a pid (a worker can die right after starting the
/// wrapper) or on pids at all (they are reused after a reboot). The wrapper marks "started", runs the program
/// with the message on standard input, and records its exit status.
///
/// A later look at a message, by a restarted worker or by a retry, first takes the lock: held means in flight
/// (wait, send nothing); free with a status means settled (delivered or failed, without sending again: a
/// delivery's status is kept until the outbox has committed it as sent, see `forget`); free
/// with only the "started" mark means the wrapper was killed while the program ran (the one case where nobody
/// knows whether it accepted the message: counted as a failed attempt and retried, and the stable Message-ID
/// lets the mail system or the reader recognise the copy); free with neither means never handed over.
public struct Courier: Sendable {
    public let spool: String
    /// Longest a worker waits for a program. One still running then is left to finish (never stopped, never
    /// started twice): the message stays in flight until its status is recorded.
    public let timeout: TimeInterval

    public init(spool: String, timeout: TimeInterval = 60) {
        self.spool = spool.hasSuffix("/") ? String(spool.dropLast()) : spool
        self.timeout = timeout
    }

    public enum Outcome: Equatable, Sendable {
        case delivered
        case failed(String)
        /// A wrapper (or the program it started) is still running: wait for it, send nothing.
        case inFlight
        /// Never handed over: safe to send now.
        case notHandedOver
    }

    func base(_ id: Int64) -> String { "\(spool)/message-\(id)" }

    /// What became of a message a worker claimed and did not finish (its worker died, or stopped waiting).
    public func outcome(of message: OutboxMessage) -> Outcome {
        underLock(message.id) { base, _ in
            cleanUp(base)
            return .notHandedOver
        }
    }

    /// Runs `command` with the message on standard input; `onStart` learns the wrapper's pid (for the outbox
    /// listing: nothing relies on it). Waits up to `timeout`, or while `keepWaiting` holds.
    public func deliver(_ body: [UInt8], id: Int64, command: [String], onStart: (Int32) throws -> Void,
                        keepWaiting: () -> Bool = { true }) -> Outcome {
        guard let program = command.first else { return .failed("no delivery command is configured") }
        return underLock(id) { base, lock in
            do {
                cleanUp(base, keepingLock: true)
                // The message may carry a citizen's new password: readable by the service's user only.
                try PrivateFiles.write(body, to: base + ".message")
            } catch {
                return .failed("cannot write the spool file: \(error)")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // "$0" is the spool base; the program and its arguments follow. Standard output is the locked file,
            // for the wrapper and the program alike.
            process.arguments = ["-c", #"umask 077; : > "$0.started" && "$@" < "$0.message" 2> "$0.error"; echo $? > "$0.status.tmp" && mv "$0.status.tmp" "$0.status""#,
                                 base, program] + command.dropFirst()
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(fileDescriptor: lock.descriptor, closeOnDealloc: false)
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                cleanUp(base, keepingLock: true)
                return .failed("cannot start \(program): \(error.localizedDescription)")
            }
            try? onStart(process.processIdentifier)
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline && keepWaiting() { usleep(2_000) }
            if process.isRunning {
                // Stopping it could cut off a program that has already accepted the message; let it finish.
                return .inFlight
            }
            if let settled = settled(base) { return settled }
            cleanUp(base)
            return .failed("\(program) ended without a status (exit \(process.terminationStatus))")
        }
    }

    /// Takes the message's hand-over lock and runs `body` holding it, unless the lock is held elsewhere (in
    /// flight) or an earlier hand-over of the message left its outcome (then nothing is sent again).
    private func underLock(_ id: Int64, _ body: (String, HandOverLock) -> Outcome) -> Outcome {
        let base = base(id)
        let lock: HandOverLock
        do {
            try PrivateFiles.makeFolder(spool)
            lock = try HandOverLock(base + ".lock")
        } catch {
            // No wrapper can have been started without this file: a failed attempt, retried, never a duplicate.
            return .failed("cannot use the spool folder \(spool): \(error)")
        }
        guard lock.acquired else { return .inFlight }
        defer { lock.close() }
        if let settled = settled(base) { return settled }
        return body(base, lock)
    }

    /// The outcome a finished wrapper left, or nil when it never started the program. Only called with the lock held.
    private func settled(_ base: String) -> Outcome? {
        if let status = try? String(contentsOfFile: base + ".status", encoding: .utf8) {
            let code = status.trimmingCharacters(in: .whitespacesAndNewlines)
            // A delivery's evidence stays until the outbox has recorded it (`forget`): a worker killed before
            // that commit leaves it for the next one, which settles the message instead of sending it again.
            if code == "0" { return .delivered }
            let errors = (try? String(contentsOfFile: base + ".error", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            cleanUp(base)
            let hint = ["126": " (the program cannot be run: check its permissions)",
                        "127": " (the program was not found: install an MTA such as msmtp, or fix notifications.sendmailPath / smsCommand)"][code] ?? ""
            return .failed("exit status \(code)\(hint)\(errors.isEmpty ? "" : ": \(String(errors.prefix(400)))")")
        }
        if FileManager.default.fileExists(atPath: base + ".started") {
            cleanUp(base)
            return .failed("the delivery was interrupted while the program ran: it may or may not have accepted the message")
        }
        return nil
    }

    /// Drops the spool's evidence of a delivery once the outbox has marked the message sent. The message can
    /// no longer be claimed, so nobody else looks at these files.
    public func forget(id: Int64) {
        cleanUp(base(id))
    }

    /// Removes what the spool holds for a message. Only called with its lock held; the lock file goes last.
    private func cleanUp(_ base: String, keepingLock: Bool = false) {
        PrivateFiles.shred(base + ".message")
        for suffix in [".error", ".status", ".status.tmp", ".started"] { unlink(base + suffix) }
        if !keepingLock { unlink(base + ".lock") }
    }

    /// Whether a process is alive (EPERM also means it exists). Only a hint: pids are reused.
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

/// An exclusive, non-blocking `flock` on a spool file. The lock belongs to the open file, so it stays held
/// while any process (the wrapper, the program) still has that file open, even after this one closed it.
struct HandOverLock {
    let descriptor: Int32
    let acquired: Bool

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        fchmod(descriptor, 0o600)
        acquired = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        if !acquired { Glibc.close(descriptor) }
    }

    /// Closes this process's handle; the lock is released once no other process holds the file either.
    func close() {
        if acquired { Glibc.close(descriptor) }
    }
}
