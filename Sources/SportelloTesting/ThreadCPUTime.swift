import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The processor time the calling thread has used: what a piece of code costs, whatever else the machine runs.
/// A test comparing two code paths by their wall time failed on a loaded machine whenever one of them was
/// preempted; the thread's own CPU time does not count the time it waited for a core.
public enum ThreadCPUTime {
    /// Seconds of CPU (user and system) the calling thread has used so far.
    public static func seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The CPU seconds `body` costs the calling thread, the median of `runs` runs.
    public static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = seconds()
            try body()
            times.append(seconds() - start)
        }
        return times.sorted()[times.count / 2]
    }
}
