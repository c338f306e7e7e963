import Foundation
import Glibc
import SportelloCore

/// Why the server could not start.
public enum HTTPServerError: Error, Sendable, Equatable {
    /// The host to listen on is not an IP address, or the port is out of range.
    case invalidAddress(String)
    /// `start` was called on a server that is already running.
    case alreadyStarted
    /// A system call failed; `errno` attached.
    case system(call: String, errno: Int32)
}
