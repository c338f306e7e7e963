import Glibc

/// One client connection, driven by its own thread from accept to close.
final class Connection {
    private let fd: Int32
    private let remoteAddress: String
    private let server: HTTPServer
    private let limits: HTTPLimits
    private let stopFD: Int32
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    init(fd: Int32, remoteAddress: String, server: HTTPServer, stopFD: Int32) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.server = server
        self.limits = server.limits
        self.stopFD = stopFD
        buffer.reserveCapacity(4096)
    }

    private enum Fill { case data, eof, timeout, stopped, failed }

    /// Waits for bytes until `deadline` and appends what arrives.
    private func fill(until deadline: UInt64) -> Fill {
        while true {
            switch pollFD(fd, events: Int16(POLLIN), stopFD: stopFD, until: deadline) {
            case .timeout: return .timeout
            case .stopped: return .stopped
            case .failed: return .failed
            case .ready: break
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return .data
            }
            if n == 0 { return .eof }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
            return .failed
        }
    }

    private func sendAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n > 0 {
                    offset += n
                    continue
                }
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    let deadline = monotonicNanos() + limits.sendIdle.nanoseconds
                    guard case .ready = pollFD(fd, events: Int16(POLLOUT), stopFD: nil, until: deadline) else { return false }
                    continue
                }
                return false
            }
            return true
        }
    }

    /// Half-closes, then reads and discards what the client still sends (bounded), so the client
    /// reads our last response instead of a reset.
    private func lingeringClose() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicNanos() + 2_000_000_000
        var drained = 0
        while drained < 1 << 20 {
            guard case .ready = pollFD(fd, events: Int16(POLLIN), stopFD: stopFD, until: deadline) else { return }
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { drained += n; continue }
            if n < 0, errno == EAGAIN || errno == EINTR { continue }
            return
        }
    }

    /// Answers a protocol error and closes.
    private func fail(_ status: Int, isHead: Bool = false) {
        let response = server.errorResponse(status)
        _ = sendAll(ResponseWriter.serialize(response, isHead: isHead, close: true, http10KeepAlive: false))
        lingeringClose()
    }

    func run() {
        let acceptedAt = monotonicNanos()
        var first = true
        while true {
            // Drop the bytes of the previous request; pipelined ones stay.
            if !buffer.isEmpty, consumed > 0 {
                buffer.removeSubrange(0..<consumed)
            } else if consumed > 0 {
                buffer.removeAll(keepingCapacity: true)
            }
            consumed = 0

            if buffer.isEmpty {
                let deadline = first ? acceptedAt + limits.headerDeadline.nanoseconds
                                     : monotonicNanos() + limits.keepAliveIdle.nanoseconds
                guard case .data = fill(until: deadline) else { return }  // idle: close silently
            }
            let headDeadline = (first ? acceptedAt : monotonicNanos()) + limits.headerDeadline.nanoseconds
            first = false

            var parser = HeadParser(limits: limits)
            var parsed: (head: RequestHead, end: Int)?
            while parsed == nil {
                switch parser.advance(buffer) {
                case .complete(let head, let end):
                    parsed = (head, end)
                case .failed(let status):
                    return fail(status)
                case .needMore:
                    switch fill(until: headDeadline) {
                    case .data: continue
                    case .timeout: return fail(408)
                    case .eof, .stopped, .failed: return
                    }
                }
            }
            guard let (head, headEnd) = parsed else { return }
            consumed = headEnd
            let isHead = head.method == "HEAD"

            let framing: Framing
            switch Framing.analyze(head, limits: limits) {
            case .failure(let status): return fail(status, isHead: isHead)
            case .success(let value): framing = value
            }

            var body: [UInt8] = []
            if framing.contentLength > 0 {
                if framing.expectContinue, buffer.count - consumed < framing.contentLength {
                    guard sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
                }
                while buffer.count - consumed < framing.contentLength {
                    guard case .data = fill(until: monotonicNanos() + limits.bodyIdle.nanoseconds) else { return }
                }
                body = Array(buffer[consumed..<(consumed + framing.contentLength)])
                consumed += framing.contentLength
            }

            let request = HTTPRequest(method: head.method, target: String(decoding: head.target, as: UTF8.self),
                                      path: framing.path, query: framing.query,
                                      version: head.minorVersion == 1 ? "HTTP/1.1" : "HTTP/1.0",
                                      headers: HTTPHeaders(head.fields), body: body, remoteAddress: remoteAddress)
            let response = server.responder.respond(to: request)
            let responseCloses = response.headers.contains {
                asciiCaseInsensitiveEquals($0.0, "Connection") && $0.1.lowercased().contains("close")
            }
            let close = !framing.keepAlive || responseCloses || server.isStopping
            let bytes = ResponseWriter.serialize(response, isHead: isHead, close: close,
                                                 http10KeepAlive: head.minorVersion == 0)
            guard sendAll(bytes) else { return }
            if close { return lingeringClose() }
        }
    }

    private var consumed = 0
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
