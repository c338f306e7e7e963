#if canImport(Glibc)
import Glibc
#endif

/// Marks the threads `BackgroundPriority.lowerCallingThread` lowered: every database write asks whether its
/// caller runs lowered, and a thread-specific value answers without a system call.
private let loweredThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

/// The scheduling priority of work that no request waits for: composing and handing over mail in `serve` (the
/// hand-over threads, and what they start: the courier link's reader, the courier process and its programs). On
/// two cores a booking's answer must not queue behind a mail. Those threads run at a higher nice value, so the
/// kernel gives the core to a request's thread whenever both want it, and mail still gets every core the requests
/// leave idle. Only for threads that never call into Dispatch's shared pool (`concurrentPerform`, `async`): a
/// lowered thread passes its nice value to every thread it creates, pool threads included, which then run
/// unrelated work at the lower priority; and never for a thread that holds what requests wait for, such as the
/// database's writer (docs/ARCHITECTURE.md §7).
public enum BackgroundPriority {
    /// The nice value of background threads (0 is the default; each step of 1 is about 1.25× less CPU share
    /// beside a thread at 0 when both want a core: 10 is about a tenth).
    public static let niceness: Int32 = 10

    /// Lowers the calling thread's priority to `niceness` (never raises it: an unprivileged process cannot take
    /// it back). On Linux the nice value belongs to the thread, and threads it starts afterwards inherit it, as
    /// does a process it spawns. Returns whether the thread now runs at `niceness` or lower.
    @discardableResult
    public static func lowerCallingThread(to niceness: Int32 = niceness) -> Bool {
        // `who` 0 with PRIO_PROCESS names the calling thread on Linux (its nice value is per thread).
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        guard let current = callingThreadNiceness else { return false }
        let lowered = current >= niceness || setpriority(which, 0, niceness) == 0
        // Any non-nil value marks the thread; nothing to free when it ends.
        if lowered && max(current, niceness) > 0 {
            pthread_setspecific(loweredThreadKey, UnsafeRawPointer(bitPattern: 1))
        }
        return lowered
    }

    /// Whether the calling thread was lowered by `lowerCallingThread` (a nice value above 0). Asked on every
    /// database write: read from a thread-specific value, not from the kernel.
    public static var isCallingThreadLowered: Bool { pthread_getspecific(loweredThreadKey) != nil }

    /// The calling thread's nice value; nil when it cannot be read.
    public static var callingThreadNiceness: Int32? {
        // getpriority may return -1 as a value: errno tells an error apart.
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return value == -1 && errno != 0 ? nil : value
    }
}
