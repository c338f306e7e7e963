import Foundation
import Glibc
import SportelloCore

/// Why the server could not start.
public enum HTTPServerError: Error, Sendable, Equatable {
    case invalidAddress(String)
    case alreadyStarted
    /// A system call failed; `errno` attached.
    case system(call: String, errno: Int32)
}
