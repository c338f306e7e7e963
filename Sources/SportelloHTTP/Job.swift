import CEpoll
import Dispatch
import Glibc
import SportelloCore

/// A complete request travelling from an event loop to a worker.
struct Job: Sendable {
    /// The loop the answer goes back to.
    let origin: EventLoop
    let fd: Int32
    let connectionID: UInt64
    let dispatch: ConnectionStateMachine.Dispatch
}
