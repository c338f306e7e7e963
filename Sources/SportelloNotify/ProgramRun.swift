import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One delivery program started by the courier with `posix_spawnp` (no shell): the message on its standard input,
/// its output (standard output and error) read back through a pipe for the outbox's last error, and the message's
/// hand-over lock as descriptor 4, so the lock stays held while the program runs even if the courier dies.
enum ProgramRun {
    /// Bytes of the program's output kept (what it says on failure).
    static let keptOutput = 400

    /// Runs `command` to its end: its exit status (128 + signal; 126 cannot be run, 127 not found, as a shell
    /// says) and the start of what it printed.
    static func run(_ command: [String], input: Int32, lock: Int32) -> (status: Int32, output: [UInt8]) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return (126, Array("pipe: \(String(cString: strerror(errno)))".utf8)) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on the copies. The input first: a fresh descriptor may be one the next
        // copies replace (0 is the courier's socket, taken at start, so no pipe end is 0, 1 or 2 … but 4 can be).
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        posix_spawn_file_actions_adddup2(&actions, lock, 4)
        if let closeFrom = addCloseFrom { _ = closeFrom(&actions, 5) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        SpawnAttributes.startWithDefaultSignals(&attributes)
        var cArguments = command.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        var started = posix_spawnp(&child, command[0], &actions, &attributes, &cArguments, environ)
        // "Text file busy": the program's file is still open for writing somewhere (being replaced by a package
        // upgrade, or a descriptor inherited for an instant by a process another thread was starting). It never
        // ran, so trying again a little later cannot send twice.
        for pause in [10_000, 50_000, 200_000, 500_000] as [useconds_t] where started == ETXTBSY {
            usleep(pause)
            started = posix_spawnp(&child, command[0], &actions, &attributes, &cArguments, environ)
        }
        close(ends[1])
        guard started == 0 else {
            close(ends[0])
            let status: Int32 = started == ENOENT ? 127 : 126
            return (status, Array("\(command[0]): \(String(cString: strerror(started)))".utf8))
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        var exit: Int32?
        // Until the output ends, or the program has ended while a child of its own keeps the pipe open.
        reading: while true {
            var entry = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, 200)
            if ready > 0 {
                let count = chunk.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break reading }
                if output.count < keptOutput { output += chunk[0..<min(count, keptOutput - output.count)] }
            } else if ready == 0, let ended = ChildProcess.reap(child, waiting: false) {
                exit = ended
                break reading
            } else if ready < 0 && errno != EINTR {
                break reading
            }
        }
        close(ends[0])
        return (exit ?? ChildProcess.reap(child, waiting: true) ?? -1, output)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
}
