#if canImport(Glibc)
import Glibc
#endif

/// The name the system shows for a thread (`ps -L`, `top -H`, `/proc/<pid>/task/<id>/comm`). Foundation's
/// `Thread.name` is kept by Foundation alone on Linux, and a new thread starts with its creator's name, so
/// without this every background thread of a test process shows as the Dispatch pool thread that started it.
public enum ThreadName {
    /// Gives the calling thread `name` (its first 15 bytes, the system's limit). `pthread_setname_np` is not
    /// visible from Swift here; the thread's `comm` file is the same setting.
    public static func nameCallingThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        defer { close(file) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    }
}
