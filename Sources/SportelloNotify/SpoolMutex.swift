#if canImport(Glibc)
import Glibc
#endif

/// The spool's `smtp.lock`, held (a blocking `flock`) while a courier reads the journals and marks a round
/// started, so two couriers never both decide to send one attempt.
struct SpoolMutex {
    private let descriptor: Int32

    /// Waits for the lock; nil when the file cannot be opened.
    init?(spool: String) {
        let opened = open("\(spool)/smtp.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard opened >= 0 else { return nil }
        while flock(opened, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(opened)
                return nil
            }
        }
        descriptor = opened
    }

    /// Lets the next courier in.
    func release() { close(descriptor) }
}
