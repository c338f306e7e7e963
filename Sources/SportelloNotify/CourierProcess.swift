import Foundation
import SportelloCore
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// The courier: one long-lived child of the server (its own executable in a hidden mode, in a process group of its
/// own) that hands messages to sendmail and the other delivery programs. It replaces a `/bin/sh` wrapper per message:
/// what the wrapper did (hold the message's lock while the program runs, record its exit status there) the
/// courier does for every message, starting only the program itself.
///
/// It reads requests from the socket on its standard input and runs each on a thread of its own (the server
/// bounds how many it asks for at once); mail for an SMTP server (`notifications.smtp`) instead goes to its one
/// `SMTPSender`, which speaks to the server over one connection and keeps its evidence in a journal. When the server dies the socket ends: the courier finishes the hand-overs
/// it started, records their statuses and exits, so a `kill -9` of the server never leaves a program whose
/// outcome nobody records. See docs/ARCHITECTURE.md §6 and `Courier`.
public enum CourierProcess {
    /// The first argument that runs an executable as the courier: `<executable> __courier <spool>`.
    public static let mode = "__courier"

    /// Runs the courier if `arguments` ask for it (and then never returns); returns otherwise. Every executable
    /// that delivers notifications calls this first.
    public static func runIfAsked(_ arguments: [String]) {
        guard arguments.count == 3, arguments[1] == mode else { return }
        exit(run(spool: arguments[2], socket: 0))
    }

    /// Linux's `SCHED_BATCH` (not exported by the Glibc module).
    static let batchPolicy: Int32 = 3

    /// Puts the courier under `SCHED_BATCH`, which its threads and the programs it starts inherit: the same share
    /// of the cores at the same nice value, but a program waking up (a process per message through sendmail) no
    /// longer preempts a request's thread; it waits for the next tick instead. Not `SCHED_IDLE`, which can hold
    /// mail back for a minute on a busy machine. Failing leaves the default policy: only latency is at stake.
    static func runAsBatch() {
        var parameters = sched_param()
        parameters.sched_priority = 0
        _ = sched_setscheduler(0, batchPolicy, &parameters)
    }

    /// Serves requests from `socket` until it ends, then waits for the hand-overs in progress. Exit status 0.
    static func run(spool: String, socket: Int32) -> Int32 {
        // The server's stop (SIGTERM to the whole service, Ctrl-C in a terminal) must not cut off a program that
        // may be accepting a message: the courier ends when the server's end of the socket does.
        for number in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_IGN) }
        runAsBatch()
        let courier = Courier(spool: spool)
        let reader = FrameReader(descriptor: socket)
        let writing = NSLock()
        let running = DispatchGroup()
        // A thread per program hand-over, kept for the next one: creating and ending a thread for every message
        // was a share of the courier's CPU a mail. Not bounded here: the server bounds what it asks for at once,
        // and a hung program must not hold back the messages after it.
        let handOvers = HandOverPool(size: Int(Int32.max))
        // Started at the first mail spoken over SMTP.
        var smtp: SMTPSender?
        let answer: @Sendable (UInt64, Courier.Outcome) -> Void = { tag, outcome in
            let reply = CourierFrame.encode(CourierFrame.Reply(tag: tag, outcome: outcome))
            writing.lock()
            // A server gone meanwhile learns the outcome from the spool.
            _ = CourierFrame.send(reply, to: socket)
            writing.unlock()
            running.leave()
        }
        // The answers of an SMTP round go out together, one write (and one wake-up of the server's reader) for all.
        let roundAnswers = Locked<(frames: [UInt8], count: Int)>(([], 0))
        let answerAfterRound: @Sendable (UInt64, Courier.Outcome) -> Void = { tag, outcome in
            let reply = CourierFrame.encode(CourierFrame.Reply(tag: tag, outcome: outcome))
            roundAnswers.withLock {
                $0.frames += reply
                $0.count += 1
            }
        }
        let roundDone: @Sendable () -> Void = {
            let (frames, count) = roundAnswers.withLock { answers in
                defer { answers = ([], 0) }
                return answers
            }
            guard count > 0 else { return }
            writing.lock()
            _ = CourierFrame.send(frames, to: socket)
            writing.unlock()
            for _ in 0..<count { running.leave() }
        }
        while let request = CourierFrame.readRequest(reader) {
            running.enter()
            if let handOver = SMTPHandOver(command: request.command) {
                let sender = smtp ?? SMTPSender(spool: courier.spool, afterRound: roundDone)
                smtp = sender
                sender.enqueue(
                    SMTPSender.Item(id: request.id, handOver: handOver, body: request.body) {
                        answerAfterRound(request.tag, $0)
                    })
                continue
            }
            handOvers.run {
                answer(request.tag, courier.handOver(request.body, id: request.id, command: request.command))
            }
        }
        running.wait()
        smtp?.finish()
        return 0
    }
}

extension Courier {
    /// What the courier does for one message: take its lock (held elsewhere: in flight), settle it from an earlier
    /// hand-over's status, or mark it started, run the program with the message on its standard input, and record
    /// its exit status and first words in the lock file.
    func handOver(_ body: [UInt8], id: Int64, command: [String]) -> Outcome {
        guard let program = command.first else { return .failed("no delivery command is configured") }
        return underLock(id) { base, lock in
            cleanUp(base, keepingLock: true)
            // Before the program starts: a courier killed from here on leaves "started", an uncertain hand-over.
            guard Self.record(Array(Self.startedMark.utf8), in: lock.descriptor) else {
                cleanUp(base, keepingLock: true)
                return .failed("cannot write the spool file: \(String(cString: strerror(errno)))")
            }
            let input: Int32
            if let filled = Self.filledPipe(body) {
                input = filled
            } else {
                do {
                    // The message may carry a citizen's new password: readable by the service's user only.
                    try PrivateFiles.write(body, to: base + ".message")
                } catch {
                    cleanUp(base, keepingLock: true)
                    return .failed("cannot write the spool file: \(error)")
                }
                input = open(base + ".message", O_RDONLY | O_CLOEXEC)
                guard input >= 0 else {
                    cleanUp(base, keepingLock: true)
                    return .failed("cannot read the spool file: \(String(cString: strerror(errno)))")
                }
            }
            let (status, words) = ProgramRun.run(command, input: input, lock: lock.descriptor)
            close(input)
            let wordsLine = words.map { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") ? UInt8(ascii: " ") : $0 }
            guard Self.record(Array("\(status)\n".utf8) + wordsLine, in: lock.descriptor) else {
                // The status could not be written: the "started" mark stays, as uncertain as a kill.
                return .failed("\(program) ran, but its exit status could not be recorded")
            }
            PrivateFiles.shred(base + ".message")
            // What `settled` would read back from the lock file (the status line, then the words after its
            // newline), without reading it: words that are not UTF-8 made that read fail, and an accepted message
            // then counted as failed and was sent again. A status below 0 is not one `settled` takes.
            let recorded = status >= 0 ? ("\(status)", "\n" + String(decoding: wordsLine, as: UTF8.self)) : nil
            return settled(base, recorded: recorded) ?? .failed("\(program) ended without a status (exit \(status))")
        }
    }

    /// The first line of a lock file whose program was started and has not ended (or whose courier was killed).
    static let startedMark = "started\n"

    /// Replaces the lock file's content with `bytes`: one `pwrite` over what was there, then the rest cut off. A
    /// kill in between leaves the new first line (the status) with stray words after it, never an empty file.
    static func record(_ bytes: [UInt8], in descriptor: Int32) -> Bool {
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else { return false }
        return ftruncate(descriptor, off_t(bytes.count)) == 0
    }
}
