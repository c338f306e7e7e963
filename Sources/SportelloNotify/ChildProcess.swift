import Glibc

/// Waiting for a program the server started (sendmail, curl, rclone, the courier).
public enum ChildProcess {
    /// The exit status of `pid` as a shell says it (128 + the signal that ended it); nil while it runs (`waiting`
    /// false) or when it cannot be waited for.
    public static func reap(_ pid: pid_t, waiting: Bool) -> Int32? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, waiting ? 0 : WNOHANG)
            if result < 0 && errno == EINTR { continue }
            guard result == pid else { return nil }
            return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
        }
    }
}
