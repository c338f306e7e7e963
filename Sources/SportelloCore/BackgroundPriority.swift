#if canImport(Glibc)
import Glibc
#endif

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
        if current >= niceness { return true }
        return setpriority(which, 0, niceness) == 0
    }

    /// Whether the calling thread runs at a lower priority than the default (a nice value above 0).
    public static var isCallingThreadLowered: Bool { (callingThreadNiceness ?? 0) > 0 }

    /// The calling thread's nice value; nil when it cannot be read.
    public static var callingThreadNiceness: Int32? {
        // getpriority may return -1 as a value: errno tells an error apart.
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return value == -1 && errno != 0 ? nil : value
    }
}
