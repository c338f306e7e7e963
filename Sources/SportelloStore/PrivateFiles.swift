import CSQLite
import Foundation
import SportelloCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Files that hold personal data or secrets (the database, the delivery spool): only the service's user may
/// read them, whatever the umask. Existing files and folders keep the modes an administrator gave them.
public enum PrivateFiles {
    /// A file or folder that could not be made private, said in words.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What failed and why (the path and `strerror`).
        public let description: String
    }

    /// Creates `path` (and missing parents) with mode 0700; an existing folder is left as it is.
    public static func makeFolder(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolder(parent) }
        if mkdir(path, 0o700) == 0 {
            chmod(path, 0o700)
        } else if errno != EEXIST {
            throw Failure(description: "cannot create the folder \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates an empty file with mode 0600 unless it exists.
    public static func makeFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            fchmod(descriptor, 0o600)
            close(descriptor)
        } else if errno != EEXIST {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `bytes` to a new or emptied file with mode 0600.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress.map { $0 + written }, bytes.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// Overwrites a file's bytes with zeros, then removes it: a secret does not stay readable in the freed
    /// blocks through the file system (a copy-on-write or flash disk may still keep it; see README "Security").
    public static func shred(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor >= 0 {
            var info = stat()
            if fstat(descriptor, &info) == 0, info.st_size > 0, info.st_size < 1 << 24 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, zeros.count, 0) }
                fsync(descriptor)
            }
            close(descriptor)
        }
        unlink(path)
    }
}
