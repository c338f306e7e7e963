/// What the write path needs to put an appointment of a desk service on a desk (docs/ARCHITECTURE.md §3
/// "Desks"): the interval, the service's desks in its order, and the desks of every service sharing one of
/// them, so an operator block of any of those services is laid on the desks it takes.
public struct DeskClaim: Sendable, Equatable {
    /// The span the appointment occupies.
    public let interval: DeskInterval
    /// The desks that may take it, tried in this order.
    public let desks: [DeskID]
    /// Each service sharing one of `desks` (the requesting one included), with its desks in its order.
    public let blockDesks: [String: [DeskID]]

    /// A claim of `interval` on one of `desks`; `blockDesks` as above (empty: no block is considered).
    public init(interval: DeskInterval, desks: [DeskID], blockDesks: [String: [DeskID]] = [:]) {
        self.interval = interval
        self.desks = desks
        self.blockDesks = blockDesks
    }
}
