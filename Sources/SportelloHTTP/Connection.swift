/// One client connection as the event loop holds it: its socket and its `ConnectionStateMachine`. Owned by
/// the event-loop thread (`EventLoop`); never touched by the workers, which only see the finished
/// `HTTPRequest`.
final class Connection {
    let fd: Int32
    /// Distinguishes this connection from a later one that gets the same descriptor number.
    let id: UInt64
    let remoteAddress: String
    var machine: ConnectionStateMachine
    /// The epoll events currently registered.
    var interest: UInt32 = 0

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: HTTPLimits, now: UInt64) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        machine = ConnectionStateMachine(limits: limits, remoteAddress: remoteAddress, acceptedAt: now)
    }
}
