import Synchronization

/// Asks one run of a `BackgroundService` to end; a new one is made at every start.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)

    /// A request not yet made.
    public init() {}

    /// Whether the loop should end now (checked between passes and inside long ones).
    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    func request() { requested.store(true, ordering: .releasing) }
}
