import Foundation
import SportelloStore

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive, non-blocking `flock` on a spool file. The lock belongs to the open file, so it stays held
/// while any process (the courier, the program) still has that file open, even after this one closed it.
struct HandOverLock {
    let descriptor: Int32
    let acquired: Bool

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(descriptor, 0o600)
        acquired = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        if !acquired { Glibc.close(descriptor) }
    }

    /// Closes this process's handle; the lock is released once no other process holds the file either.
    func close() {
        if acquired { Glibc.close(descriptor) }
    }
}
