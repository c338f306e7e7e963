import CEpoll
import Dispatch
import Glibc
import SportelloCore

/// A finished answer travelling from a worker back to the event loop.
struct Completion: Sendable {
    let fd: Int32
    let connectionID: UInt64
    let bytes: [UInt8]
    let close: Bool
}
