import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// The server's end of its courier process (`CourierProcess`): started at the first hand-over, started again when
/// it has died, and told to finish (its socket shut) when the last copy of the `Courier` that owns it goes away.
final class CourierLink: @unchecked Sendable {
    // @unchecked: `connection` and `nextTag` are only touched while `state` is held.
    private let executable: String
    private let spool: String
    private let state = NSLock()
    private var connection: Connection?
    private var nextTag: UInt64 = 0

    init(executable: String, spool: String) {
        self.executable = executable
        self.spool = spool
    }

    deinit {
        // The courier finishes what it started and exits; the reader thread reaps it.
        if let connection { shutdown(connection.socket, Int32(SHUT_RDWR)) }
    }

    /// The executable that runs the courier: this program (through `/proc/self/exe`, which still names it after
    /// an upgrade replaced the file), or, when this is a test bundle (which has no courier mode), the `sportello`
    /// executable built beside it.
    static let defaultExecutable: String = {
        let own = ownPath
        let name = (own as NSString).lastPathComponent
        guard name.hasSuffix(".xctest") || name.contains("PackageTests") else { return "/proc/self/exe" }
        return ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent("sportello")
    }()

    /// This program's path, as `ps` shows the courier (its first argument).
    static let ownPath: String =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A request sent and not yet answered.
    struct Pending {
        /// The courier's pid.
        let courier: Int32
        fileprivate let waiter: Waiter
        fileprivate let connection: Connection

        /// Waits for the answer until `deadline`, or while `keepWaiting` holds (asked every 50 ms).
        func wait(until deadline: Date, keepWaiting: () -> Bool) -> Answer {
            while true {
                if waiter.done.wait(timeout: .now() + .milliseconds(50)) == .success {
                    return waiter.answer.withLock { $0 } ?? .courierGone
                }
                if deadline.timeIntervalSinceNow <= 0 || !keepWaiting() {
                    connection.forget(waiter.tag)
                    return .stoppedWaiting
                }
            }
        }
    }

    /// How waiting for a hand-over ended.
    enum Answer {
        case answered(Courier.Outcome)
        /// The wait ran out (or the server is stopping): the hand-over goes on without a listener.
        case stoppedWaiting
        /// The courier ended without answering.
        case courierGone
    }

    /// Sends one hand-over to the courier (starting it first if needed).
    func send(id: Int64, command: [String], body: [UInt8]) throws -> Pending {
        state.lock()
        defer { state.unlock() }
        for attempt in 0..<2 {
            let current: Connection
            if let connection, connection.isOpen {
                current = connection
            } else {
                current = try Connection(executable: executable, spool: spool)
                connection = current
            }
            nextTag += 1
            let waiter = Waiter(tag: nextTag)
            current.register(waiter)
            if CourierFrame.send(
                CourierFrame.encode(CourierFrame.Request(tag: waiter.tag, id: id, command: command, body: body)),
                to: current.socket)
            {
                return Pending(courier: current.pid, waiter: waiter, connection: current)
            }
            // The courier had died (its end closed): the request reached nobody; start a new one, once.
            current.forget(waiter.tag)
            current.close()
            connection = nil
            if attempt == 1 { break }
        }
        throw Failure(description: "the courier process does not answer")
    }
}

/// One waiting hand-over.
private final class Waiter: @unchecked Sendable {
    let tag: UInt64
    let done = DispatchSemaphore(value: 0)
    let answer = Locked<CourierLink.Answer?>(nil)

    init(tag: UInt64) { self.tag = tag }
}

/// One courier process and the thread reading its answers.
private final class Connection: @unchecked Sendable {
    // @unchecked: `waiters` and `open` are only touched while `lock` is held.
    let socket: Int32
    let pid: Int32
    private let lock = NSLock()
    private var waiters: [UInt64: Waiter] = [:]
    private var open = true

    init(executable: String, spool: String) throws {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw CourierLink.Failure(description: "socketpair: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(ends[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.startWithDefaultSignals(&attributes)
        // A process group of its own: a signal to the server's group (Ctrl-C, a kill of the group) does not reach
        // it. The server's session, not one of its own: where the kernel groups a session's processes for
        // scheduling (autogroup), a nice value only weighs inside the group, and a courier in a session of its own
        // shared the cores with the server as an equal, it and sendmail, whatever their nice value (§7).
        var flags: Int16 = 0
        posix_spawnattr_getflags(&attributes, &flags)
        posix_spawnattr_setflags(&attributes, flags | Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let arguments = [executable == "/proc/self/exe" ? CourierLink.ownPath : executable, CourierProcess.mode, spool]
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, &cArguments, environ)
        guard result == 0 else {
            Glibc.close(ends[0])
            throw CourierLink.Failure(
                description: "cannot start the courier \(executable): \(String(cString: strerror(result)))")
        }
        socket = ends[0]
        pid = child
        Thread { [self] in readAnswers() }.start()
    }

    var isOpen: Bool { lock.withLock { open } }

    func register(_ waiter: Waiter) { lock.withLock { waiters[waiter.tag] = waiter } }

    func forget(_ tag: UInt64) { _ = lock.withLock { waiters.removeValue(forKey: tag) } }

    /// Stops sending to this courier; the reader thread still collects its answers and reaps it.
    func close() {
        lock.withLock { open = false }
        shutdown(socket, Int32(SHUT_WR))
    }

    /// Hands each answer to its waiter until the courier's end closes; then wakes the waiters left (the spool
    /// tells them what happened) and reaps the courier.
    private func readAnswers() {
        let reader = FrameReader(descriptor: socket)
        while let reply = CourierFrame.readReply(reader) {
            guard let waiter = lock.withLock({ waiters.removeValue(forKey: reply.tag) }) else { continue }
            waiter.answer.withLock { $0 = .answered(reply.outcome) }
            waiter.done.signal()
        }
        let left = lock.withLock {
            open = false
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        // Its end of the socket closes as it exits, but its other files (an SMTP journal and its lock) may close a
        // moment later: the waiters read the spool only once it is reaped, or they could find a dead courier's
        // journal still held and call the message in flight.
        _ = ChildProcess.reap(pid, waiting: true)
        for waiter in left {
            waiter.answer.withLock { $0 = .courierGone }
            waiter.done.signal()
        }
        Glibc.close(socket)
    }
}
