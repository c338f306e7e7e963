import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A page or file that could not be written, with the system's reason: the publisher reports it and /api/health shows
/// it.
public struct FileWriteError: Error, CustomStringConvertible {
    /// The file being written.
    public let path: String
    /// The system call that failed (open, write, fsync, rename).
    public let operation: String
    /// The `errno` it failed with.
    public let code: Int32
    /// "rename /srv/output/x.html: No space left on device".
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
