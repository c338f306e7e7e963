import Foundation
import Glibc
import SportelloCore

public enum HTTPServerError: Error, Sendable, Equatable {
    case invalidAddress(String)
    case alreadyStarted
    /// A system call failed; `errno` attached.
    case system(call: String, errno: Int32)
}

/// A blocking-socket HTTP/1.1 server: one accept thread, one thread per connection (at most
/// `limits.maxConnections`), `poll()` deadlines everywhere. The responder runs on the connection thread.
public final class HTTPServer: Sendable {
    public let host: String
    private let requestedPort: Int
    public let limits: HTTPLimits
    let responder: any HTTPResponder
    private let errorPage: (@Sendable (Int) -> HTTPResponse)?
    private let state = Locked(State())

    private struct State {
        var started = false
        var stopping = false
        var acceptRunning = false
        var boundPort: Int?
        var stopRead: Int32 = -1
        var stopWrite: Int32 = -1
        var connections: Set<Int32> = []
        var rejectResponse = HTTPResponse(status: 503)
    }

    public init(host: String = "127.0.0.1", port: Int, limits: HTTPLimits = .standard, responder: any HTTPResponder,
                errorPage: (@Sendable (Int) -> HTTPResponse)? = nil) {
        self.host = host
        self.requestedPort = port
        self.limits = limits
        self.responder = responder
        self.errorPage = errorPage
    }

    deinit {
        // Only reached once every thread (which retains the server) has finished.
        state.withLock { s in
            if s.stopRead >= 0 { Glibc.close(s.stopRead) }
            if s.stopWrite >= 0 { Glibc.close(s.stopWrite) }
        }
    }

    /// The bound port (the real one when 0 was requested), or the requested port before `start()`.
    public var port: Int { state.withLock { $0.boundPort ?? requestedPort } }

    /// Number of connections being served now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Binds, listens and returns; serving happens on background threads. A server starts once.
    public func start() throws(HTTPServerError) {
        signal(SIGPIPE, SIG_IGN)
        let alreadyStarted = state.withLock { s -> Bool in
            defer { s.started = true }
            return s.started
        }
        if alreadyStarted { throw .alreadyStarted }

        let listenFD = try bindAndListen()
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            let e = errno
            Glibc.close(listenFD)
            throw .system(call: "pipe", errno: e)
        }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let bound = Self.localPort(listenFD) ?? requestedPort
        let reject = errorResponse(503)
        state.withLock { s in
            s.boundPort = bound
            s.stopRead = pipeFDs[0]
            s.stopWrite = pipeFDs[1]
            s.acceptRunning = true
            s.rejectResponse = reject
        }
        let stopRead = pipeFDs[0]
        guard spawnDetachedThread({ [self] in acceptLoop(listenFD: listenFD, stopFD: stopRead) }) else {
            Glibc.close(listenFD)
            state.withLock { $0.acceptRunning = false }
            throw .system(call: "pthread_create", errno: errno)
        }
    }

    /// Stops accepting, closes idle connections at once and waits up to `grace` for responses in flight;
    /// connections still open after that are shut down. Returns when the listening socket is closed.
    public func stop(grace: Duration = .seconds(2)) {
        let stopWrite = state.withLock { s -> Int32? in
            guard s.started, !s.stopping else { return nil }
            s.stopping = true
            return s.stopWrite
        }
        guard let stopWrite, stopWrite >= 0 else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(stopWrite, &byte, 1)  // the pipe stays readable: every poller sees it

        let deadline = monotonicNanos() + grace.nanoseconds
        if !waitUntilIdle(deadline: deadline) {
            state.withLock { s in
                for fd in s.connections { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
            }
            _ = waitUntilIdle(deadline: monotonicNanos() + 1_000_000_000)
        }
    }

    private func waitUntilIdle(deadline: UInt64) -> Bool {
        while true {
            if state.withLock({ !$0.acceptRunning && $0.connections.isEmpty }) { return true }
            if monotonicNanos() >= deadline { return false }
            usleep(5_000)
        }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// The page for an error status: the app's `errorPage` or a short plain text.
    func errorResponse(_ status: Int) -> HTTPResponse {
        var response = errorPage?(status) ?? .text(status, "\(status) \(HTTPResponse.reasonPhrase(status))\n")
        response.status = status
        return response
    }

    // MARK: - Socket setup

    private func bindAndListen() throws(HTTPServerError) -> Int32 {
        guard (0...65535).contains(requestedPort) else { throw .invalidAddress("port \(requestedPort)") }
        let name = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr()
        var v6 = in6_addr()
        let family: Int32
        if inet_pton(AF_INET, name, &v4) == 1 { family = AF_INET }
        else if inet_pton(AF_INET6, name, &v6) == 1 { family = AF_INET6 }
        else { throw .invalidAddress(host) }

        let fd = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))

        let port = UInt16(requestedPort).bigEndian
        let rc: Int32
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port
            address.sin_addr = v4
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port
            address.sin6_addr = v6
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "bind", errno: e)
        }
        guard listen(fd, SOMAXCONN) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw .system(call: "listen", errno: e)
        }
        return fd
    }

    private static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { return nil }
        return addressAndPort(&storage).port
    }

    private static func addressAndPort(_ storage: inout sockaddr_storage) -> (address: String, port: Int) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                            Int(UInt16(bigEndian: sin.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                            Int(UInt16(bigEndian: sin.pointee.sin6_port)))
                }
            }
        default:
            return ("", 0)
        }
    }

    // MARK: - Accepting

    private func acceptLoop(listenFD: Int32, stopFD: Int32) {
        defer {
            Glibc.close(listenFD)
            state.withLock { $0.acceptRunning = false }
        }
        while true {
            switch pollFD(listenFD, events: Int16(POLLIN), stopFD: stopFD, until: UInt64.max / 2) {
            case .stopped: return
            case .timeout: continue
            case .failed: usleep(10_000); continue
            case .ready: break
            }
            // Accept everything pending.
            while true {
                var storage = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let client = withUnsafeMutablePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        accept(listenFD, $0, &length)
                    }
                }
                if client < 0 {
                    let e = errno
                    if e == EINTR || e == ECONNABORTED || e == EPROTO { continue }
                    if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM { usleep(20_000) }
                    break
                }
                // accept4 is not exported by the Glibc module; set the flags right after.
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                admit(client, remote: Self.addressAndPort(&storage).address)
            }
        }
    }

    private func admit(_ fd: Int32, remote: String) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let (admitted, stopFD) = state.withLock { s -> (Bool, Int32) in
            guard !s.stopping, s.connections.count < limits.maxConnections else { return (false, s.stopRead) }
            s.connections.insert(fd)
            return (true, s.stopRead)
        }
        guard admitted else { return reject(fd) }
        let started = spawnDetachedThread { [self] in
            let connection = Connection(fd: fd, remoteAddress: remote, server: self, stopFD: stopFD)
            connection.run()
            state.withLock { _ = $0.connections.remove(fd) }
            Glibc.close(fd)
        }
        if !started {
            state.withLock { _ = $0.connections.remove(fd) }
            reject(fd)
        }
    }

    /// Refuses an excess connection without ever blocking the accept loop: a 503 written without
    /// waiting, then a half-close so the client reads it, then close.
    private func reject(_ fd: Int32) {
        var response = state.withLock { $0.rejectResponse }
        response.setHeader("Retry-After", "1")
        let bytes = ResponseWriter.serialize(response, isHead: false, close: true, http10KeepAlive: false)
        drainNow(fd)
        _ = bytes.withUnsafeBytes { raw in
            Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        drainNow(fd)
        Glibc.close(fd)
    }

    private func drainNow(_ fd: Int32) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<4 {
            let n = scratch.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return }
        }
    }
}

/// Serialises responses: status line, the responder's headers (sanitised), `Date`, `Content-Length`,
/// `Connection`, then the body unless HEAD/204/304.
enum ResponseWriter {
    static func serialize(_ response: HTTPResponse, isHead: Bool, close: Bool, http10KeepAlive: Bool) -> [UInt8] {
        let status = (100...999).contains(response.status) ? response.status : 500
        let bodiless = status < 200 || status == 204 || status == 304
        var head = "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n"
        var declaredLength: String?
        for (name, value) in response.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { continue }
            if asciiCaseInsensitiveEquals(name, "Content-Length") {
                declaredLength = value
                continue
            }
            if asciiCaseInsensitiveEquals(name, "Date") || asciiCaseInsensitiveEquals(name, "Connection")
                || asciiCaseInsensitiveEquals(name, "Transfer-Encoding") { continue }
            head += name
            head += ": "
            head += sanitize(value)
            head += "\r\n"
        }
        head += "Date: \(HTTPDate.now())\r\n"
        if !bodiless {
            // A HEAD answer may declare the length of the body it would have had.
            if isHead, response.body.isEmpty, let declared = declaredLength, !declared.isEmpty,
               declared.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                head += "Content-Length: \(declared)\r\n"
            } else {
                head += "Content-Length: \(response.body.count)\r\n"
            }
        }
        if close { head += "Connection: close\r\n" } else if http10KeepAlive { head += "Connection: keep-alive\r\n" }
        head += "\r\n"
        let sendBody = !isHead && !bodiless
        var out: [UInt8] = []
        out.reserveCapacity(head.utf8.count + (sendBody ? response.body.count : 0))
        out.append(contentsOf: head.utf8)
        if sendBody { out.append(contentsOf: response.body) }
        return out
    }

    /// No CR, LF or NUL may reach the wire from a header value (response splitting).
    private static func sanitize(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return value }
        return String(decoding: value.utf8.map { $0 == 0x0D || $0 == 0x0A || $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
}
