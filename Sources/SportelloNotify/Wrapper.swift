import Foundation
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// The wrapper of one hand-over: `/bin/sh` started with `posix_spawn` (no fork of the server's memory, no
/// Foundation `Process` and its monitoring), which marks "started", runs the program and records its exit
/// status with builtins only. Its standard output is the hand-over lock (where the status goes); descriptor 3
/// is the write end of a pipe that only the wrapper holds (the program gets it closed), so the end of the
/// wrapper is an end-of-file the worker waits for with `poll` (with a timeout, unlike `waitpid`) instead of
/// asking every few milliseconds.
struct Wrapper {
    let pid: Int32
    /// The read end of the pipe; closed once the wrapper has been waited for or left to finish.
    private let exited: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `"$0"` is the spool base; the program and its arguments follow. Redirections apply left to right: the
    /// program gets the lock (the wrapper's standard output) as descriptor 4, the message on the standard input
    /// it inherits, the "started" mark for its output, and not the pipe. A redirection that fails runs nothing
    /// and leaves a non-zero status.
    static let script = #"umask 077; "$@" 4>&1 2> "$0.started" >&2 3>&-; echo $?"#

    /// `input`: the whole message, readable (a filled pipe or the spool file), given to the wrapper as its
    /// standard input.
    init(base: String, command: [String], lock: Int32, input: Int32) throws {
        var ends: [Int32] = [-1, -1]
        // pipe2 is not exported by the Glibc module: close-on-exec right after (a wrapper another thread starts
        // in between gets these closed by closefrom below).
        guard pipe(&ends) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { Glibc.close(ends[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies, also when a descriptor is already the one asked for. The
        // input first: a fresh descriptor may be number 3, which the next copy replaces.
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, lock, 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 3)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The server opens its descriptors close-on-exec; where the C library offers it, a descriptor that
        // slipped through (a socket between accept and fcntl) is closed too.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 4) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.startWithDefaultSignals(&attributes)
        let arguments = ["/bin/sh", "-c", Self.script, base] + command
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, "/bin/sh", &actions, &attributes, &cArguments, environ)
        guard result == 0 else {
            Glibc.close(ends[0])
            throw Failure(description: String(cString: strerror(result)))
        }
        pid = child
        exited = ends[0]
    }

    /// Waits for the wrapper to end, until `deadline` or while `keepWaiting` holds (asked every 50 ms). Returns
    /// its exit status, or nil when it is still running: it is then left to finish (and reaped) on its own.
    func wait(until deadline: Date, keepWaiting: () -> Bool) -> Int32? {
        var entry = pollfd(fd: exited, events: Int16(POLLIN), revents: 0)
        while true {
            let left = deadline.timeIntervalSinceNow
            let slice = Int32(max(0, min(left, 0.05)) * 1000)
            let ready = poll(&entry, 1, slice)
            if ready > 0 {
                var byte: UInt8 = 0
                // Nobody writes to the pipe: readable means every copy of its write end is closed.
                if read(exited, &byte, 1) <= 0 { break }
            } else if ready < 0 && errno != EINTR {
                break
            }
            if ready == 0 && (left <= 0 || !keepWaiting()) {
                let pid = pid
                let descriptor = exited
                Thread {
                    Self.reap(pid)
                    Glibc.close(descriptor)
                }.start()
                return nil
            }
        }
        Glibc.close(exited)
        return Self.reap(pid)
    }

    /// Blocks until the process has ended; its exit status (128 + the signal that ended it).
    @discardableResult
    static func reap(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
}
