import Dispatch
import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import Synchronization

/// `serve` could not listen: the port taken is the usual case, said in words with what to do.
struct ServeError: Error, CustomStringConvertible {
    let description: String

    init(listening error: any Error, host: String, port: Int) {
        switch error as? HTTPServerError {
        case .system(call: "bind", errno: EADDRINUSE):
            description =
                """
                cannot listen on \(host):\(port): the port is already in use (another sportello serve, or another \
                program). Stop it, or choose another port with --port.
                """
        case .system(call: "bind", errno: EACCES):
            description =
                """
                cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges; use a port such \
                as 8080 behind nginx).
                """
        case .system(call: "bind", errno: EADDRNOTAVAIL):
            description =
                """
                cannot listen on \(host):\(port): this machine has no such address. Use 127.0.0.1 behind a reverse \
                proxy.
                """
        case .invalidAddress(let address):
            description =
                "cannot listen on \(address): not an IP address (use a numeric address such as 127.0.0.1 or ::1)."
        case .system(let call, let code):
            description = "cannot listen on \(host):\(port): \(call) failed: \(String(cString: strerror(code)))"
        default:
            description = "cannot listen on \(host):\(port): \(error)"
        }
    }
}
