/// Where one client connection is in its request/response cycle, and what the event loop must do next.
///
/// Pure: no socket, no thread, no clock. The event loop feeds it what happened (bytes received, the peer
/// closed, an answer ready, bytes written, time passing) with the current monotonic time, and performs
/// the `Action` each transition returns. Every deadline of docs/ARCHITECTURE.md §5 is decided here from
/// the `now` values it is given, so tests move time by passing numbers.
///
/// ```
/// readingHead ──► readingBody ──► waitingForResponse ──► writing ──► readingHead
///      │               │                                    │
///      └───────────────┴── 4xx/408/503 ──► writing ─────────┴──► lingering ──► closed
/// ```
/// (back to `readingHead` for the next request: keep-alive, pipelining)
struct ConnectionStateMachine {
    enum State {
        /// Waiting for (the rest of) a request head. `since`: when the wait started (accept for the first
        /// request, the end of the previous answer for the next ones); `requestStartedAt`: set by the
        /// first byte of the head.
        case readingHead(parser: HeadParser, since: UInt64, requestStartedAt: UInt64?)
        /// The head is parsed; the body is arriving.
        case readingBody(
            head: RequestHead, framing: Framing, headEnd: Int, requestStartedAt: UInt64,
            lastByteAt: UInt64)
        /// A worker (or the loop, for an error answer) is producing the answer; nothing is read meanwhile
        /// (a pipelined request waits in the buffer or the socket).
        case waitingForResponse
        /// The answer is going out. `blockedAt`: when the socket last refused more bytes.
        case writing(output: [UInt8], offset: Int, closeAfter: Bool, blockedAt: UInt64?)
        /// Write side shut after a closing answer; what the client still sends is read and dropped, so it
        /// reads that answer instead of a reset.
        case lingering(since: UInt64, drained: Int)
        case closed
    }

    /// A complete request for the responder, with what the answer's framing needs.
    struct Dispatch: Sendable {
        let request: HTTPRequest
        let isHead: Bool
        let keepAlive: Bool
        let http10: Bool
    }

    /// What the event loop does after a transition.
    enum Action {
        /// Nothing to do now; keep reading when the connection is reading.
        case none
        /// Send `HTTP/1.1 100 Continue` (the client waits for it before the body), then keep reading.
        case sendContinue
        /// Stop reading and have the responder answer; report the answer with `responseReady`.
        case dispatch(Dispatch)
        /// Stop reading and answer this protocol error; report the answer with `responseReady(close: true)`.
        case answerError(status: Int, isHead: Bool, retryAfter: Int?)
        /// Write `pendingOutput` and report with `wrote` or `writeBlocked`.
        case write
        /// The socket is full: wait until it is writable, then `write` again.
        case waitForWritable
        /// The answer is out and the connection persists: read the next request.
        case readNext
        /// Shut the write side and keep reading (to drop) what the client still sends.
        case shutdownAndLinger
        /// Close the socket now.
        case close
    }

    /// How long a lingering connection is kept, and how much it may still send.
    static let lingerTime: UInt64 = 2_000_000_000
    static let lingerBytes = 1 << 20

    private(set) var state: State
    /// Received bytes not yet consumed: the request being read and any pipelined ones after it.
    private(set) var buffer: [UInt8] = []
    /// Where the request being answered ends in `buffer`.
    private var consumed = 0
    /// Answers fully written on this connection.
    private(set) var answered = 0
    /// The client sent end-of-stream while a request was answered: the requests already received are
    /// answered, then the connection closes instead of waiting for more.
    private var peerEnded = false
    private let limits: HTTPLimits
    private let remoteAddress: String

    init(limits: HTTPLimits, remoteAddress: String, acceptedAt: UInt64) {
        self.limits = limits
        self.remoteAddress = remoteAddress
        state = .readingHead(parser: HeadParser(limits: limits), since: acceptedAt, requestStartedAt: nil)
    }

    /// Whether the loop should read from the socket (reading a request, or dropping bytes while lingering).
    var wantsToRead: Bool {
        switch state {
        case .readingHead, .readingBody, .lingering: true
        case .waitingForResponse, .writing, .closed: false
        }
    }

    /// Between requests with nothing received: a server that stops closes such connections at once.
    var isIdle: Bool {
        switch state {
        case .readingHead: buffer.isEmpty
        case .lingering: true
        default: false
        }
    }

    var isLingering: Bool {
        if case .lingering = state { return true }
        return false
    }

    /// The bytes still to write.
    var pendingOutput: ArraySlice<UInt8> {
        guard case .writing(let output, let offset, _, _) = state else { return [] }
        return output[offset...]
    }

    // MARK: - Deadlines

    /// When `deadlinePassed` will act; nil while the connection waits for its answer (the worker's time
    /// is not the client's fault) or is closed.
    var deadline: UInt64? {
        switch state {
        case .readingHead(_, let since, let started):
            // The first request's head is timed from accept, the later ones from their first byte; before
            // that first byte the keep-alive idle limit applies.
            if let started { return started &+ limits.headerDeadline.nanoseconds }
            return since &+ (answered == 0 ? limits.headerDeadline : limits.keepAliveIdle).nanoseconds
        case .readingBody(_, _, _, let started, let lastByteAt):
            return min(lastByteAt &+ limits.bodyIdle.nanoseconds, started &+ limits.requestDeadline.nanoseconds)
        case .waitingForResponse, .closed:
            return nil
        case .writing(_, _, _, let blockedAt):
            return blockedAt.map { $0 &+ limits.sendIdle.nanoseconds }
        case .lingering(let since, _):
            return since &+ Self.lingerTime
        }
    }

    /// Time passed: at or after `deadline` the connection gives up. A request head started but not finished
    /// (or a whole request past `requestDeadline`) is told 408; anything else closes without a word.
    mutating func deadlinePassed(now: UInt64) -> Action {
        guard let deadline, now >= deadline else { return .none }
        switch state {
        case .readingHead(_, _, .some):
            return answerError(status: 408)
        case .readingBody(_, _, _, let started, let lastByteAt):
            let total = started &+ limits.requestDeadline.nanoseconds
            let idle = lastByteAt &+ limits.bodyIdle.nanoseconds
            return total <= idle ? answerError(status: 408) : closeNow()
        default:
            return closeNow()
        }
    }

    // MARK: - Reading

    /// Bytes arrived; parses what the buffer holds.
    mutating func received<Bytes: Collection<UInt8>>(_ bytes: Bytes, now: UInt64) -> Action {
        append(bytes)
        return advance(now: now)
    }

    /// Keeps received bytes without parsing yet (the loop reads several chunks, then calls `advance`).
    mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        buffer.append(contentsOf: bytes)
    }

    /// Moves on with what the buffer holds: to the responder, to an error answer, or to waiting for more.
    mutating func advance(now: UInt64) -> Action {
        switch state {
        case .readingHead(var parser, let since, let started):
            guard !buffer.isEmpty else { return .none }
            let requestStartedAt = started ?? (answered == 0 ? since : now)
            state = .closed  // the parser is not shared with the old state while it grows (no copy)
            let step = parser.advance(buffer)
            state = .readingHead(parser: parser, since: since, requestStartedAt: requestStartedAt)
            switch step {
            case .needMore:
                return .none
            case .failed(let status):
                return answerError(status: status)
            case .complete(let head, let headEnd):
                switch Framing.analyze(head, limits: limits) {
                case .failure(let status):
                    return answerError(status: status, isHead: head.method == "HEAD")
                case .success(let framing):
                    if buffer.count - headEnd >= framing.contentLength {
                        return dispatch(head, framing, headEnd: headEnd)
                    }
                    state = .readingBody(
                        head: head, framing: framing, headEnd: headEnd,
                        requestStartedAt: requestStartedAt, lastByteAt: now)
                    return framing.expectContinue ? .sendContinue : .none
                }
            }
        case .readingBody(let head, let framing, let headEnd, let started, _):
            if buffer.count - headEnd >= framing.contentLength { return dispatch(head, framing, headEnd: headEnd) }
            state = .readingBody(
                head: head, framing: framing, headEnd: headEnd, requestStartedAt: started,
                lastByteAt: now)
            return .none
        case .waitingForResponse, .writing, .lingering, .closed:
            return .none
        }
    }

    /// The client will send nothing more. What it asked for is answered (every complete request already
    /// received, in order); a half request never will be.
    mutating func peerClosed() -> Action {
        switch state {
        case .readingHead, .readingBody, .lingering:
            return closeNow()
        case .waitingForResponse, .writing:
            peerEnded = true
            return .none
        case .closed:
            return .none
        }
    }

    /// Bytes read and dropped while lingering; past `lingerBytes` the client is cut off.
    mutating func drained(_ count: Int) -> Action {
        guard case .lingering(let since, let drained) = state else { return .none }
        let total = drained + count
        if total >= Self.lingerBytes { return closeNow() }
        state = .lingering(since: since, drained: total)
        return .none
    }

    // MARK: - Answering

    /// The work queue refused the dispatched request (admission control): it is told to come back.
    mutating func admissionRefused(isHead: Bool) -> Action {
        guard case .waitingForResponse = state else { return .none }
        return .answerError(status: 503, isHead: isHead, retryAfter: 1)
    }

    /// The serialised answer to the request in hand (or to a protocol error); `close`: the connection ends
    /// after it.
    mutating func responseReady(_ bytes: [UInt8], close: Bool) -> Action {
        guard case .waitingForResponse = state else { return .none }
        state = .writing(output: bytes, offset: 0, closeAfter: close, blockedAt: nil)
        return .write
    }

    /// `count` bytes of `pendingOutput` were written. When the answer is out: linger before closing, or
    /// start on the next request (which may already be in the buffer: pipelining).
    mutating func wrote(_ count: Int, now: UInt64) -> Action {
        guard case .writing(let output, let offset, let closeAfter, let blockedAt) = state else { return .none }
        let written = offset + max(0, count)
        guard written >= output.count else {
            state = .writing(output: output, offset: written, closeAfter: closeAfter, blockedAt: blockedAt)
            return .write
        }
        answered += 1
        if closeAfter {
            state = .lingering(since: now, drained: 0)
            return .shutdownAndLinger
        }
        if consumed >= buffer.count {
            // Idle keep-alive connections hold no buffer: ten thousand of them cost little.
            buffer = []
        } else if consumed > 0 {
            buffer.removeSubrange(0..<consumed)
        }
        consumed = 0
        state = .readingHead(parser: HeadParser(limits: limits), since: now, requestStartedAt: nil)
        let next = advance(now: now)
        switch next {
        case .none, .sendContinue: return peerEnded ? closeNow() : .readNext
        default: return next
        }
    }

    /// The socket took no more bytes: the client has `sendIdle` to read before it is cut off.
    mutating func writeBlocked(now: UInt64) -> Action {
        guard case .writing(let output, let offset, let closeAfter, _) = state else { return .none }
        state = .writing(output: output, offset: offset, closeAfter: closeAfter, blockedAt: now)
        return .waitForWritable
    }

    /// A socket error, or the loop closing the connection for its own reasons.
    mutating func closeNow() -> Action {
        state = .closed
        buffer = []
        return .close
    }

    // MARK: - Private

    private mutating func dispatch(_ head: RequestHead, _ framing: Framing, headEnd: Int) -> Action {
        let end = headEnd + framing.contentLength
        let body = framing.contentLength > 0 ? Array(buffer[headEnd..<end]) : []
        consumed = end
        let request = HTTPRequest(
            method: head.method, target: String(decoding: head.target, as: UTF8.self),
            path: framing.path, query: framing.query,
            version: head.minorVersion == 1 ? "HTTP/1.1" : "HTTP/1.0",
            headers: HTTPHeaders(head.fields), body: body, remoteAddress: remoteAddress)
        state = .waitingForResponse
        return .dispatch(
            Dispatch(
                request: request, isHead: head.method == "HEAD", keepAlive: framing.keepAlive,
                http10: head.minorVersion == 0))
    }

    private mutating func answerError(status: Int, isHead: Bool = false) -> Action {
        state = .waitingForResponse
        return .answerError(status: status, isHead: isHead, retryAfter: nil)
    }
}
