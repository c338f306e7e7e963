import Foundation

// Value types of the HTTP layer: headers, request, response, responder, limits.
// The server is generic: it knows nothing about bookings.

/// Header fields in arrival order with ASCII case-insensitive lookup.
public struct HTTPHeaders: Sendable, Sequence {
    /// One field: name as received, value without surrounding whitespace.
    public typealias Element = (name: String, value: String)
    private var storage: [Element]

    /// No fields.
    public init() { storage = [] }
    /// These fields, in this order.
    public init(_ fields: [(String, String)]) { storage = fields.map { (name: $0.0, value: $0.1) } }

    /// The first value of the field `name`, or nil.
    public subscript(_ name: String) -> String? {
        for field in storage where asciiCaseInsensitiveEquals(field.name, name) { return field.value }
        return nil
    }

    /// Every value of the field `name`, in order.
    public func values(_ name: String) -> [String] {
        storage.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// Whether a field `name` is present (any case).
    public func contains(_ name: String) -> Bool { self[name] != nil }
    /// The number of fields, repeated names counted each time.
    public var count: Int { storage.count }
    /// Whether there is no field.
    public var isEmpty: Bool { storage.isEmpty }
    /// Every field in arrival order.
    public var fields: [Element] { storage }
    /// Appends a field (an existing one with the same name stays).
    public mutating func add(_ name: String, _ value: String) { storage.append((name: name, value: value)) }
    /// The fields in arrival order.
    public func makeIterator() -> IndexingIterator<[Element]> { storage.makeIterator() }
}

/// A parsed request as handed to a responder.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`… exactly as received (methods are case-sensitive).
    public let method: String
    /// The request target exactly as received (`/path?query`).
    public let target: String
    /// Percent-decoded path without the query.
    public let path: String
    /// The raw (still encoded) query, without `?`; nil when the target has no `?`.
    public let query: String?
    /// `HTTP/1.1` or `HTTP/1.0`.
    public let version: String
    /// The header fields in arrival order.
    public let headers: HTTPHeaders
    /// The body (`Content-Length` bytes; empty without one).
    public let body: [UInt8]
    /// Peer IP address, e.g. `127.0.0.1`.
    public let remoteAddress: String

    /// A request with its parts already split (the server builds them from the head).
    public init(
        method: String, target: String, path: String, query: String?, version: String = "HTTP/1.1",
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Builds a request deriving `path` and `query` from `target` (handy in tests). An undecodable
    /// target keeps its raw path.
    public init(
        method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        let parts = RequestTarget.parse(Array(target.utf8))
        let rawPath =
            target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            ?? target
        self.init(
            method: method, target: target, path: parts?.path ?? rawPath, query: parts?.query ?? nil,
            version: version, headers: headers, body: body, remoteAddress: remoteAddress)
    }

    /// Cookies of every `Cookie` field.
    public var cookies: [String: String] {
        let all = headers.values("Cookie")
        return parseCookies(all.isEmpty ? nil : all.joined(separator: "; "))
    }
}

/// A response produced by a responder. The server adds `Date`, `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    /// The status code (an out-of-range one is sent as 500).
    public var status: Int
    /// Header fields in order; `Date`, `Connection`, `Transfer-Encoding` are set by the server.
    public var headers: [(String, String)]
    /// The body (not sent for HEAD, 204 and 304).
    public var body: [UInt8]

    /// An answer made of its parts.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A UTF-8 plain-text answer.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// A UTF-8 HTML answer; `html` must already be escaped.
    public static func html(_ status: Int, _ html: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    /// `json` must already be serialised JSON text.
    public static func json(_ status: Int, _ json: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: Array(json.utf8))
    }

    /// A redirect (303 See Other by default: the Post/Redirect/Get answer).
    public static func redirect(_ location: String, status: Int = 303) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Location", location)])
    }

    /// The first value of header `name`.
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.0, name) }?.1
    }

    /// Replaces every field named `name` with one field.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { asciiCaseInsensitiveEquals($0.0, name) }
        headers.append((name, value))
    }

    /// The reason phrase of the status line (`Not Found`); `Status N` for codes without one.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}

/// Answers requests. `respond(to:)` runs on one of the server's worker threads (several at once, so it must be
/// thread-safe), or on the event-loop thread itself for the requests `answersOnEventLoop` claims.
public protocol HTTPResponder: Sendable {
    /// The answer to `request`. The server adds `Date`, `Content-Length` and `Connection`.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Whether a request finishes work the server already admitted (a confirmation of a hold it granted):
    /// such a request is queued even past `HTTPLimits.maxQueuedRequests`, so admission control turns away new
    /// work, never the completion of work in progress. Their number is bounded by that earlier work.
    func completesAdmittedWork(method: String, path: String) -> Bool
    /// Whether `request` is answered on the event-loop thread, without the hand-over to a worker and back: only
    /// for answers that are quick and never wait on a lock, a database or a child process (a static file, most
    /// often from memory). Everything else on that thread waits meanwhile, so the default is false.
    func answersOnEventLoop(_ request: HTTPRequest) -> Bool
}

extension HTTPResponder {
    /// By default every request finishes new work and may be turned away by admission control.
    public func completesAdmittedWork(method: String, path: String) -> Bool { false }
    /// By default every request goes to a worker.
    public func answersOnEventLoop(_ request: HTTPRequest) -> Bool { false }
}

/// A responder made of a closure.
public struct HTTPClosureResponder: HTTPResponder {
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    /// A responder answering with `handler`, on worker threads.
    public init(_ handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.handler = handler }
    /// `handler`'s answer.
    public func respond(to request: HTTPRequest) -> HTTPResponse { handler(request) }
}

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
    /// while a batch flushes. 16 on 2 cores: the rush's p99 went from 234 ms with 4 to 11 ms.
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
        maxConnectionsPerAddress: Int = 64, workers: Int = max(16, 4 * ProcessInfo.processInfo.activeProcessorCount),
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

// MARK: - Small shared helpers

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 65 && byte <= 90 ? byte | 0x20 : byte
}

func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let a = a.utf8
    let b = b.utf8
    guard a.count == b.count else { return false }
    // Header names are compared several times per request: over the bytes in place when they are contiguous
    // (native strings always are), not through generic iterators.
    let compared = a.withContiguousStorageIfAvailable { left in
        b.withContiguousStorageIfAvailable { right in
            for index in 0..<left.count where asciiLower(left[index]) != asciiLower(right[index]) { return false }
            return true
        }
    }
    if let compared, let compared { return compared }
    return zip(a, b).allSatisfy { asciiLower($0) == asciiLower($1) }
}

/// Splits a request target into a decoded path and raw query. Accepts origin-form (`/p?q`),
/// absolute-form (`http://host/p?q`) and `*`. Nil when malformed, badly percent-encoded or not UTF-8.
enum RequestTarget {
    static func parse(_ target: [UInt8]) -> (path: String, query: String?)? {
        guard let first = target.first, !target.contains(UInt8(ascii: "#")) else { return nil }
        var pathStart = 0
        if first == UInt8(ascii: "/") {
            pathStart = 0
        } else if target == [UInt8(ascii: "*")] {
            return ("*", nil)
        } else {
            let lower = target.prefix(8).map(asciiLower)
            let scheme: Int
            if lower.starts(with: Array("http://".utf8)) {
                scheme = 7
            } else if lower.starts(with: Array("https://".utf8)) {
                scheme = 8
            } else {
                return nil
            }
            let rest = target[scheme...]
            guard let slash = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                return ("/", nil)
            }
            if target[slash] == UInt8(ascii: "?") {
                return ("/", String(decoding: target[(slash + 1)...], as: UTF8.self))
            }
            pathStart = slash
        }
        let question = target[pathStart...].firstIndex(of: UInt8(ascii: "?"))
        let rawPath = target[pathStart..<(question ?? target.count)]
        let query = question.map { String(decoding: target[($0 + 1)...], as: UTF8.self) }
        guard let decoded = percentDecode(rawPath, plusAsSpace: false),
            let path = String(validating: decoded, as: UTF8.self)
        else { return nil }
        return (path, query)
    }
}

@inline(__always) func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: byte - 48
    case 65...70: byte - 55
    case 97...102: byte - 87
    default: nil
    }
}

/// `%XX` decoding (and `+` → space for forms). Nil on a malformed escape.
func percentDecode<C: Collection>(_ bytes: C, plusAsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            let h = bytes.index(after: index)
            guard h != bytes.endIndex, let high = hexValue(bytes[h]) else { return nil }
            let l = bytes.index(after: h)
            guard l != bytes.endIndex, let low = hexValue(bytes[l]) else { return nil }
            out.append(high << 4 | low)
            index = bytes.index(after: l)
        } else {
            out.append(plusAsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
            index = bytes.index(after: index)
        }
    }
    return out
}
