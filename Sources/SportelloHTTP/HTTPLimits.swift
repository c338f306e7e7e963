import Foundation

/// Limits of docs/ARCHITECTURE.md §5. Durations are configurable so tests can use short deadlines.
public struct HTTPLimits: Sendable {
    /// Longest request line (bytes, without CRLF) → 414.
    public var requestLine: Int
    /// Largest header block (bytes after the request line) → 431.
    public var headerBlock: Int
    /// Most header fields → 431.
    public var headerFields: Int
    /// Largest request body → 413 (checked on Content-Length before reading).
    public var body: Int
    /// Time to receive a complete request head, counted from the first byte (from accept for the
    /// first request) → 408 and close.
    public var headerDeadline: Duration
    /// Longest silence while a body is being received → close.
    public var bodyIdle: Duration
    /// Time to receive a whole request, head and body, counted like `headerDeadline` → 408 and close: a
    /// body dribbled a byte at a time, never silent for `bodyIdle`, still cannot hold a connection longer.
    public var requestDeadline: Duration
    /// Longest silence between keep-alive requests → close.
    public var keepAliveIdle: Duration
    /// Longest time the client may leave a response unread (per send) → close.
    public var sendIdle: Duration
    /// Connections open at once; excess ones get a short 503 and are closed. Idle connections cost a few
    /// hundred bytes each (one event loop, no thread per connection), so this is sized for a booking rush.
    public var maxConnections: Int
    /// Connections open at once from one client address (0: no cap), so one client cannot hold them all;
    /// excess ones get a short 429. The server's `uncappedAddresses` (the reverse proxy) are exempt.
    public var maxConnectionsPerAddress: Int
    /// Threads running the responder: requests in progress at once; the others wait their turn in order.
    /// Writes are group-committed, so threads waiting on a commit share its disk flush rather than queue
    /// for it one by one: more of them make bigger batches, and reads (a rush's refusals) keep a free worker
    /// while a batch flushes. 16 on 2 cores: the rush's p99 went from 234 ms with 4 to 11 ms. 64 on 2 cores
    /// (16 per core): with 16, 64 clients left 48 requests waiting for a worker while the 16 waited on a flush and
    /// the cores idled; with 64 every request reaches the next batch (bigger batches, fewer flushes a booking).
    public var workers: Int
    /// Requests waiting for a worker at once; one more is answered 503 with Retry-After at once (admission
    /// control: in a rush the queue would otherwise grow past any useful waiting time).
    public var maxQueuedRequests: Int
    /// Event-loop threads, all accepting from the one listening socket: each does the socket I/O of its
    /// connections and answers static files itself, so one per core lets `serve` use every core for pages.
    public var eventLoops: Int

    /// Limits with the documented defaults; tests shorten the deadlines.
    public init(
        requestLine: Int = 8 * 1024, headerBlock: Int = 16 * 1024, headerFields: Int = 100,
        body: Int = 64 * 1024, headerDeadline: Duration = .seconds(10), bodyIdle: Duration = .seconds(10),
        requestDeadline: Duration = .seconds(30),
        keepAliveIdle: Duration = .seconds(15), sendIdle: Duration = .seconds(10), maxConnections: Int = 10_000,
        maxConnectionsPerAddress: Int = 64, workers: Int = max(64, 16 * ProcessInfo.processInfo.activeProcessorCount),
        maxQueuedRequests: Int = 2_048,
        eventLoops: Int = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    ) {
        self.requestLine = requestLine
        self.headerBlock = headerBlock
        self.headerFields = headerFields
        self.body = body
        self.headerDeadline = headerDeadline
        self.bodyIdle = bodyIdle
        self.requestDeadline = requestDeadline
        self.keepAliveIdle = keepAliveIdle
        self.sendIdle = sendIdle
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.workers = workers
        self.maxQueuedRequests = maxQueuedRequests
        self.eventLoops = eventLoops
    }

    /// The limits of docs/ARCHITECTURE.md §5.
    public static let standard = HTTPLimits()
}
