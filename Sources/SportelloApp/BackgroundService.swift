/// Work that runs beside the requests for as long as `serve` does: the publisher's lanes, the delivery of the
/// outbox, the clock of time-driven pages and retention. Every one is started and stopped the same way, by a
/// `ServiceGroup`, on a named thread of its own (docs/ARCHITECTURE.md §7).
public protocol BackgroundService: Sendable {
    /// The thread's name, as `top -H` and a crash report show it.
    var name: String { get }
    /// The service's loop, on its own thread: returns soon after `stop` is requested, leaving its work in a
    /// state the next start (or the next process) takes up. Runs again after a later start.
    func run(until stop: StopRequest)
    /// Cuts short a wait of `run`, so a stop is seen at once (called after the request is made).
    func interrupt()
}
