import Foundation
import Glibc
import SportelloCore

/// An HTTP/1.1 server: event-loop threads (`EventLoop`, one per core) do all socket I/O with epoll and answer
/// static files, a fixed pool of worker threads runs the responder for everything else. Deadlines on every
/// phase (docs/ARCHITECTURE.md §5); at most `limits.maxConnections` connections, and
/// `limits.maxConnectionsPerAddress` from one address unless it is one of `uncappedAddresses` (the reverse
/// proxy, whose connections carry everyone's requests), counted across the loops.
public final class HTTPServer: Sendable {
    /// The address it listens on (`127.0.0.1`, `::1`, `0.0.0.0`…).
    public let host: String
    private let requestedPort: Int
    /// Sizes, deadlines and counts it enforces (docs/ARCHITECTURE.md §5).
    public let limits: HTTPLimits
    let responder: any HTTPResponder
    private let uncappedAddresses: Set<String>
    private let errorPage: (@Sendable (Int) -> HTTPResponse)?
    private let state = Locked(State())
    /// Error pages are the same for every client: rendered once per status, not once per bad request.
    private let errorPages = Locked<[Int: HTTPResponse]>([:])

    private struct State {
        var started = false
        var stopping = false
        var loopsRunning = 0
        var boundPort: Int?
        var loops: [EventLoop] = []
    }

    private let tally = ConnectionTally()

    /// A server for `responder` on `host`:`port` (0: any free port); `errorPage` renders the protocol errors
    /// it answers itself (400, 408, 413, 503…). Nothing happens before `start()`.
    public init(
        host: String = "127.0.0.1", port: Int, limits: HTTPLimits = .standard, responder: any HTTPResponder,
        uncappedAddresses: [String] = [], errorPage: (@Sendable (Int) -> HTTPResponse)? = nil
    ) {
        self.host = host
        self.requestedPort = port
        self.limits = limits
        self.responder = responder
        self.uncappedAddresses = Set(uncappedAddresses)
        self.errorPage = errorPage
    }

    /// The bound port (the real one when 0 was requested), or the requested port before `start()`.
    public var port: Int { state.withLock { $0.boundPort ?? requestedPort } }

    /// Number of connections open now.
    public var connectionCount: Int { tally.total }

    /// Binds, listens and returns; serving happens on background threads. A server starts once.
    public func start() throws(HTTPServerError) {
        signal(SIGPIPE, SIG_IGN)
        let alreadyStarted = state.withLock { s -> Bool in
            defer { s.started = true }
            return s.started
        }
        if alreadyStarted { throw .alreadyStarted }
        raiseDescriptorLimit(to: limits.maxConnections + 256)

        let listenFD = try bindAndListen()
        let bound = Self.localPort(listenFD) ?? requestedPort
        let pool = WorkerPool(threads: limits.workers)
        var loops: [EventLoop] = []
        do throws(HTTPServerError) {
            for index in 0..<max(1, limits.eventLoops) {
                // Each loop owns a descriptor of the one listening socket and closes it when it stops.
                let descriptor = index == 0 ? listenFD : dup(listenFD)
                guard descriptor >= 0 else { throw HTTPServerError.system(call: "dup", errno: errno) }
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                do throws(HTTPServerError) {
                    loops.append(
                        try EventLoop(
                            listenFD: descriptor, limits: limits,
                            uncappedAddresses: uncappedAddresses, responder: responder,
                            pool: pool, tally: tally,
                            errorResponse: { [weak self] status in
                                self?.errorResponse(status) ?? .text(status, "\(status)\n")
                            }))
                } catch {
                    Glibc.close(descriptor)
                    throw error
                }
            }
        } catch {
            // The loops made so far close their descriptors; a failed one closed its own.
            for loop in loops {
                loop.requestStop(force: true)
                loop.run()
            }
            throw error
        }
        let started = pool.start { [weak self, responder] job in
            let response = responder.respond(to: job.dispatch.request)
            let (bytes, close) = EventLoop.serialize(response, for: job.dispatch, stopping: self?.isStopping ?? true)
            job.origin.complete(Completion(fd: job.fd, connectionID: job.connectionID, bytes: bytes, close: close))
        }
        guard started else {
            let e = errno
            pool.stop()
            for loop in loops {
                loop.requestStop(force: true)
                loop.run()
            }
            throw .system(call: "pthread_create", errno: e)
        }
        state.withLock { s in
            s.boundPort = bound
            s.loops = loops
            s.loopsRunning = loops.count
        }
        for (index, loop) in loops.enumerated() {
            let spawned = spawnDetachedThread { [self] in
                loop.run()
                let last = state.withLock { s -> Bool in
                    s.loopsRunning -= 1
                    return s.loopsRunning == 0
                }
                if last { pool.stop() }
            }
            if !spawned {
                let e = errno
                for other in loops { other.requestStop(force: true) }
                // The loops not started are run here once, to release their descriptors.
                for other in loops[index...] {
                    other.run()
                    state.withLock { $0.loopsRunning -= 1 }
                }
                if index == 0 { pool.stop() }
                throw .system(call: "pthread_create", errno: e)
            }
        }
    }

    /// Stops accepting, closes idle connections at once and waits up to `grace` for responses in flight;
    /// connections still open after that are closed. Returns when the listening socket is closed.
    public func stop(grace: Duration = .seconds(2)) {
        let loops = state.withLock { s -> [EventLoop] in
            guard s.started, !s.stopping else { return [] }
            s.stopping = true
            return s.loops
        }
        guard !loops.isEmpty else { return }
        for loop in loops { loop.requestStop(force: false) }
        if !waitUntilStopped(deadline: monotonicNanos() + grace.nanoseconds) {
            for loop in loops { loop.requestStop(force: true) }
            _ = waitUntilStopped(deadline: monotonicNanos() + 1_000_000_000)
        }
    }

    private func waitUntilStopped(deadline: UInt64) -> Bool {
        while true {
            if state.withLock({ $0.loopsRunning == 0 }) { return true }
            if monotonicNanos() >= deadline { return false }
            usleep(2_000)
        }
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// The page for an error status: the app's `errorPage` or a short plain text.
    func errorResponse(_ status: Int) -> HTTPResponse {
        if let cached = errorPages.withLock({ $0[status] }) { return cached }
        var response = errorPage?(status) ?? .text(status, "\(status) \(HTTPResponse.reasonPhrase(status))\n")
        response.status = status
        errorPages.withLock { $0[status] = response }
        return response
    }

    /// Thousands of connections need thousands of descriptors; the soft limit is often 1,024.
    private func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    // MARK: - Socket setup

    private func bindAndListen() throws(HTTPServerError) -> Int32 {
        guard (0...65535).contains(requestedPort) else { throw .invalidAddress("port \(requestedPort)") }
        let name = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr()
        var v6 = in6_addr()
        let family: Int32
        if inet_pton(AF_INET, name, &v4) == 1 {
            family = AF_INET
        } else if inet_pton(AF_INET6, name, &v6) == 1 {
            family = AF_INET6
        } else {
            throw .invalidAddress(host)
        }

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
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port
            address.sin6_addr = v6
            rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
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

    static func addressAndPort(_ storage: inout sockaddr_storage) -> (address: String, port: Int) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    return (
                        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                        Int(UInt16(bigEndian: sin.pointee.sin_port))
                    )
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    return (
                        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
                        Int(UInt16(bigEndian: sin.pointee.sin6_port))
                    )
                }
            }
        default:
            return ("", 0)
        }
    }
}
