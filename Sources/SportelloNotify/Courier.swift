import Foundation
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// Hands a message to an outside program (sendmail, an SMS gateway command) so that a worker killed at any
/// moment, or a program slower than the worker is willing to wait, never causes a second send.
///
/// The server hands each message to its courier (`CourierProcess`: one long-lived child, in a process group of its
/// own, reached through a socket), which starts the program itself: no shell per message. Each message has one spool
/// file, its lock; its text reaches the program through a pipe filled before the program starts (through a spool
/// file, `message-<id>.message`, when it is larger than a pipe holds). The courier takes an exclusive `flock` on
/// the lock file, writes "started" into it, and gives that open file to the program (as descriptor 4). So the lock
/// is held for exactly as long as the courier's hand-over or the program lives, whatever happens to the server or
/// to the courier, and nothing depends on the database having recorded a pid or on pids at all (they are reused
/// after a reboot). When the program ends the courier replaces "started" with its exit status and the start of what
/// it printed. A server that dies leaves the courier running: it sees its socket end, finishes what it started and
/// exits. Files are few on purpose: creating one costs more than the rest of a hand-over on a busy spool.
///
/// A later look at a message, by a restarted worker or by a retry, first takes the lock: held means in flight
/// (wait, send nothing); free with a status means settled (delivered or failed, without sending again: a
/// delivery's status is kept until the outbox has committed it as sent, see `forget`); free with only the
/// "started" mark means the courier was killed while the program ran (the one case where nobody knows whether it
/// accepted the message: counted as a failed attempt and retried, and the stable Message-ID lets the mail system or
/// the reader recognise the copy); free and empty means never handed over.
public struct Courier: Sendable {
    /// The folder holding each hand-over's lock, "started" mark and status (no trailing slash).
    public let spool: String
    /// Longest a worker waits for a program. One still running then is left to finish (never stopped, never
    /// started twice): the message stays in flight until its status is recorded.
    public let timeout: TimeInterval
    /// The server's end of the courier process, started at the first hand-over and shared by copies of this value.
    let link: CourierLink

    /// A courier keeping its evidence under `spool`, waiting at most `timeout` seconds for a program.
    /// `executable` runs the courier process (`CourierProcess`); by default this program itself.
    public init(spool: String, timeout: TimeInterval = 60, executable: String? = nil) {
        self.spool = spool.hasSuffix("/") ? String(spool.dropLast()) : spool
        self.timeout = timeout
        link = CourierLink(executable: executable ?? CourierLink.defaultExecutable, spool: self.spool)
    }

    /// What the spool says became of a message handed over (or not) before.
    public enum Outcome: Equatable, Sendable {
        /// The program accepted the message.
        case delivered
        /// The program refused the message or could not run; the text is what it said.
        case failed(String)
        /// A hand-over (or the program it started) is still running: wait for it, send nothing.
        case inFlight
        /// Never handed over: safe to send now.
        case notHandedOver
    }

    func base(_ id: Int64) -> String { "\(spool)/message-\(id)" }

    /// What became of a message a worker claimed and did not finish (its worker died, or stopped waiting): what
    /// its lock file says (a program's hand-over), else what the couriers' SMTP journals say of this attempt.
    public func outcome(of message: OutboxMessage) -> Outcome { outcome(of: message, journals: nil) }

    /// `outcome(of:)` with the SMTP journals already read (`SMTPJournal.entries`), for many messages at once.
    func outcome(of message: OutboxMessage, journals: [String: SMTPJournal.Found]?) -> Outcome {
        let program = outcome(ofHandOver: message.id)
        guard program == .notHandedOver else { return program }
        return journalOutcome(key: SMTPHandOver.key(id: message.id, attempt: message.attempts), journals: journals)
    }

    /// What the SMTP journals say of one attempt; not handed over when none names it.
    func journalOutcome(key: String, journals: [String: SMTPJournal.Found]? = nil) -> Outcome {
        guard let found = (journals ?? SMTPJournal.entries(in: spool))[key] else { return .notHandedOver }
        return SMTPHandOver.outcome(found.entry, held: found.held)
    }

    /// Removes the SMTP journals no courier holds any more and that name none of `claimed`'s attempts.
    func sweepJournals(keeping claimed: [OutboxMessage]) {
        SMTPJournal.sweep(spool, keepingAny: Set(claimed.map { SMTPHandOver.key(id: $0.id, attempt: $0.attempts) }))
    }

    /// Has the courier run `command` with the message on standard input; `onStart` learns the courier's pid (for
    /// the outbox listing: nothing relies on it). Waits up to `timeout`, or while `keepWaiting` holds.
    public func deliver(
        _ body: [UInt8], id: Int64, command: [String], onStart: (Int32) throws -> Void,
        keepWaiting: () -> Bool = { true }
    ) -> Outcome {
        guard let program = command.first else { return .failed("no delivery command is configured") }
        do {
            try PrivateFiles.makeFolder(spool)
        } catch {
            // Nothing can have been started without this folder: a failed attempt, retried, never a duplicate.
            return .failed("cannot use the spool folder \(spool): \(error)")
        }
        let pending: CourierLink.Pending
        do {
            pending = try link.send(id: id, command: command, body: body)
        } catch {
            return .failed("cannot start \(program): \(error)")
        }
        // The pid only serves the outbox listing; exactly-once rests on the spool's lock, not on this record.
        try? onStart(pending.courier)
        switch pending.wait(until: Date().addingTimeInterval(timeout), keepWaiting: keepWaiting) {
        case .answered(let outcome):
            return outcome
        case .stoppedWaiting:
            // Stopping it could cut off a program that has already accepted the message; let it finish.
            return .inFlight
        case .courierGone:
            // The courier died with the request: the spool says whether the program ran (held: still running),
            // or the journal whether the mail went out.
            if let smtp = SMTPHandOver(command: command) { return journalOutcome(key: smtp.key(id: id)) }
            return outcome(ofHandOver: id)
        }
    }

    /// What the spool says of the message's last hand-over, settling it when it is over.
    func outcome(ofHandOver id: Int64) -> Outcome {
        underLock(id) { base, _ in
            cleanUp(base)
            return .notHandedOver
        }
    }

    /// The read end of a pipe that already holds all of `body` (its write end closed), or nil when the
    /// message does not fit in a pipe (then it goes through a spool file).
    static func filledPipe(_ body: [UInt8]) -> Int32? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[1]) }
        // F_SETPIPE_SZ / F_GETPIPE_SZ (Linux; not exported by the Glibc module): a pipe holds 64 KiB unless
        // asked for more, up to /proc/sys/fs/pipe-max-size (1 MiB by default).
        let setSize: Int32 = 1031
        let getSize: Int32 = 1032
        if body.count > 65_536 { _ = fcntl(ends[1], setSize, Int32(clamping: body.count)) }
        guard fcntl(ends[1], getSize) >= body.count, fcntl(ends[1], F_SETFL, O_NONBLOCK) == 0 else {
            close(ends[0])
            return nil
        }
        var written = 0
        while written < body.count {
            let result = body.withUnsafeBytes {
                Glibc.write(ends[1], $0.baseAddress.map { $0 + written }, body.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                close(ends[0])
                return nil
            }
            written += result
        }
        return ends[0]
    }

    /// Takes the message's hand-over lock and runs `body` holding it, unless the lock is held elsewhere (in
    /// flight) or an earlier hand-over of the message left its outcome (then nothing is sent again).
    func underLock(_ id: Int64, _ body: (String, HandOverLock) -> Outcome) -> Outcome {
        let base = base(id)
        let lock: HandOverLock
        do {
            try PrivateFiles.makeFolder(spool)
            lock = try HandOverLock(base + ".lock")
        } catch {
            // No program can have been started without this file: a failed attempt, retried, never a duplicate.
            return .failed("cannot use the spool folder \(spool): \(error)")
        }
        guard lock.acquired else { return .inFlight }
        defer { lock.close() }
        if let settled = settled(base) { return settled }
        return body(base, lock)
    }

    /// What the lock file holds: its first line (a status, the "started" mark, or nothing) and what follows it
    /// (the start of what the program printed).
    private func lockContent(_ base: String) -> (first: String, words: String) {
        // A missing or empty file is the normal "no status yet". Decoded leniently: a program's words need not be
        // UTF-8, and a strict read took a file with a status for an empty one (a delivered message sent again).
        let contents = FileManager.default.contents(atPath: base + ".lock")
        let text = contents.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let first = text.prefix { $0 != "\n" }
        return (first.trimmingCharacters(in: .whitespaces), String(text.dropFirst(first.count)))
    }

    /// The exit status a finished hand-over recorded (the lock file's first line; a wrapper of an earlier version
    /// wrote the whole file, or a file of its own) and the words after it. A status without a number was cut off by
    /// a kill after the program ended, which is as uncertain as a kill while it ran: nil.
    private func recordedStatus(
        _ base: String, _ lock: (first: String, words: String)
    ) -> (code: String, words: String)? {
        if !lock.first.isEmpty, lock.first.allSatisfy(\.isNumber) { return (lock.first, lock.words) }
        if let status = try? String(contentsOfFile: base + ".status", encoding: .utf8),
            case let code = status.trimmingCharacters(in: .whitespacesAndNewlines), !code.isEmpty,
            code.allSatisfy(\.isNumber)
        {
            return (code, "")
        }
        return nil
    }

    /// The outcome a finished hand-over left, or nil when it never started the program. Only called with the lock
    /// held. `recorded`: the status and words the caller has just written into the lock file (the courier, after
    /// its program ended), so the file is not read back: reading it was about a sixth of the courier's CPU a mail.
    func settled(_ base: String, recorded: (code: String, words: String)? = nil) -> Outcome? {
        // Read once: the courier looks at every message's fresh lock file before it starts the program.
        let lock = recorded == nil ? lockContent(base) : (first: "", words: "")
        if let (code, words) = recorded ?? recordedStatus(base, lock) {
            // A delivery's evidence stays until the outbox has recorded it (`forget`): a worker killed before
            // that commit leaves it for the next one, which settles the message instead of sending it again.
            if code == "0" { return .delivered }
            // ".started", ".error": where wrappers of earlier versions put the program's words.
            let errors =
                ([words]
                + [".started", ".error"].compactMap {
                    try? String(contentsOfFile: base + $0, encoding: .utf8)
                }).joined().trimmingCharacters(in: .whitespacesAndNewlines)
            cleanUp(base)
            let hint =
                [
                    "126": " (the program cannot be run: check its permissions)",
                    "127":
                        " (the program was not found: install an MTA such as msmtp, "
                        + "or fix notifications.sendmailPath / smsCommand)",
                ][code] ?? ""
            return .failed("exit status \(code)\(hint)\(errors.isEmpty ? "" : ": \(String(errors.prefix(400)))")")
        }
        // The "started" mark, or anything else that is not a status (a file damaged or cut off): nobody can tell
        // whether the program ran, so it is never taken as "not handed over".
        if !(lock.first + lock.words).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            || FileManager.default.fileExists(atPath: base + ".started")
        {
            cleanUp(base)
            return .failed(
                "the delivery was interrupted while the program ran: it may or may not have accepted the message")
        }
        return nil
    }

    /// Drops the spool's evidence of a delivery once the outbox has marked the message sent. The message can
    /// no longer be claimed, so nobody else looks at these files.
    public func forget(id: Int64) {
        cleanUp(base(id))
    }

    /// Removes what the spool holds for a message. Only called with its lock held; the lock file goes last.
    func cleanUp(_ base: String, keepingLock: Bool = false) {
        PrivateFiles.shred(base + ".message")
        // ".error", ".status", ".status.tmp", ".started": what the wrappers of earlier versions wrote.
        for suffix in [".error", ".status", ".status.tmp", ".started"] { unlink(base + suffix) }
        if keepingLock { truncate(base + ".lock", 0) } else { unlink(base + ".lock") }
    }

    /// Whether a process is alive (EPERM also means it exists). Only a hint: pids are reused.
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) == 0 { return !isZombie(pid) }
        return errno == EPERM
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
