import Glibc

/// One client connection: its bytes, where it is in the request/response cycle and when it must give
/// up. Owned by the event-loop thread (`EventLoop`); never touched by the workers, which only see the
/// finished `HTTPRequest`.
final class Connection {
    enum Phase {
        /// Reading a request head (or idle between keep-alive requests while the buffer is empty).
        case awaitingHead
        /// The head is parsed; waiting for the rest of the body.
        case awaitingBody(RequestHead, Framing, headEnd: Int)
        /// A worker is answering; nothing is read meanwhile (a pipelined request waits in the buffer).
        case responding
        /// The answer is partly written; the rest goes out as the socket drains.
        case sending
        /// Write side shut after a closing answer; what the client still sends is read and dropped, so it
        /// reads that answer instead of a reset.
        case lingering
    }

    /// What happens when `deadline` passes.
    enum Expiry {
        /// Idle or broken: close without a word.
        case close
        /// A request head started but did not finish in time.
        case requestTimeout
    }

    let fd: Int32
    /// Distinguishes this connection from a later one that gets the same descriptor number.
    let id: UInt64
    let remoteAddress: String
    let acceptedAt: UInt64

    var phase: Phase = .awaitingHead
    var buffer: [UInt8] = []
    var parser: HeadParser
    var headStarted = false
    var answered = 0
    /// Where the request being answered ends in `buffer`.
    var consumed = 0
    var deadline: UInt64
    var expiry: Expiry = .close
    /// When the request being read started (see `HTTPLimits.requestDeadline`).
    var requestStartedAt: UInt64 = 0
    /// Bytes to write, from `outputOffset` on.
    var output: [UInt8] = []
    var outputOffset = 0
    var closeAfterOutput = false
    /// Bytes read and dropped while lingering.
    var drained = 0
    /// The epoll events currently registered.
    var interest: UInt32 = 0

    init(fd: Int32, id: UInt64, remoteAddress: String, limits: HTTPLimits, now: UInt64) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        acceptedAt = now
        parser = HeadParser(limits: limits)
        // A new connection that never sends a byte is closed silently at the header deadline.
        deadline = now + limits.headerDeadline.nanoseconds
    }

    /// Forgets the request just answered (pipelined bytes stay) and waits for the next one.
    func startNextRequest(limits: HTTPLimits, now: UInt64) {
        if consumed >= buffer.count {
            // Idle keep-alive connections hold no buffer: ten thousand of them cost little.
            buffer = []
        } else if consumed > 0 {
            buffer.removeSubrange(0..<consumed)
        }
        consumed = 0
        phase = .awaitingHead
        parser = HeadParser(limits: limits)
        headStarted = false
        deadline = now + limits.keepAliveIdle.nanoseconds
        expiry = .close
    }
}

/// How a request's body is delimited and whether the connection persists.
struct Framing {
    var contentLength: Int
    var keepAlive: Bool
    var expectContinue: Bool
    var path: String
    var query: String?

    enum Outcome { case success(Framing), failure(Int) }

    static func analyze(_ head: RequestHead, limits: HTTPLimits) -> Outcome {
        var lengthFields = 0
        var length = 0
        var badLength = false
        var transferEncoding = false
        var hosts = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        for (name, value) in head.fields {
            if asciiCaseInsensitiveEquals(name, "Content-Length") {
                lengthFields += 1
                if value.isEmpty { badLength = true }
                for byte in value.utf8 {
                    guard byte >= 48, byte <= 57 else { badLength = true; break }
                    length = length > Int.max / 20 ? Int.max / 2 : length * 10 + Int(byte - 48)
                }
            } else if asciiCaseInsensitiveEquals(name, "Transfer-Encoding") {
                transferEncoding = true
            } else if asciiCaseInsensitiveEquals(name, "Host") {
                hosts += 1
            } else if asciiCaseInsensitiveEquals(name, "Connection") {
                for token in value.split(separator: ",") {
                    let t = token.trimmed(of: " \t")
                    if asciiCaseInsensitiveEquals(t, "close") { connectionClose = true }
                    if asciiCaseInsensitiveEquals(t, "keep-alive") { connectionKeepAlive = true }
                }
            } else if asciiCaseInsensitiveEquals(name, "Expect") {
                expectContinue = asciiCaseInsensitiveEquals(value, "100-continue")
            }
        }
        if transferEncoding && lengthFields > 0 { return .failure(400) }  // smuggling vector
        if lengthFields > 1 || badLength { return .failure(400) }
        if transferEncoding { return .failure(411) }  // no chunked request bodies
        if hosts > 1 || (head.minorVersion == 1 && hosts == 0) { return .failure(400) }
        if lengthFields == 0, ["POST", "PUT", "PATCH"].contains(head.method) { return .failure(411) }
        if length > limits.body { return .failure(413) }
        guard let target = RequestTarget.parse(head.target) else { return .failure(400) }
        let keepAlive = head.minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return .success(Framing(contentLength: length, keepAlive: keepAlive, expectContinue: expectContinue && head.minorVersion == 1,
                                path: target.path, query: target.query))
    }
}
