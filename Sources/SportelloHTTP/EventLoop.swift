import CEpoll
import Dispatch
import Glibc
import SportelloCore

/// A finished answer travelling from a worker back to the event loop.
struct Completion: Sendable {
    let fd: Int32
    let connectionID: UInt64
    let bytes: [UInt8]
    let close: Bool
}

/// A complete request travelling from the event loop to a worker.
struct Job: Sendable {
    let fd: Int32
    let connectionID: UInt64
    let request: HTTPRequest
    let isHead: Bool
    let keepAlive: Bool
    let http10: Bool
}

/// Runs the responder on a fixed number of threads. Requests wait in arrival order; a burst of thousands
/// costs a queue entry each, not a thread each.
final class WorkerPool: Sendable {
    private let pending = Locked(JobQueue())
    private let available = DispatchSemaphore(value: 0)
    private let stopping = Locked(false)
    private let threads: Int

    private struct JobQueue {
        var incoming: [Job] = []
        var outgoing: [Job] = []

        mutating func push(_ job: Job) { incoming.append(job) }

        mutating func pop() -> Job? {
            if outgoing.isEmpty {
                outgoing = incoming.reversed()
                incoming.removeAll(keepingCapacity: true)
            }
            return outgoing.popLast()
        }
    }

    init(threads: Int) { self.threads = max(1, threads) }

    /// Starts the threads; false when the system refused one.
    func start(_ work: @escaping @Sendable (Job) -> Void) -> Bool {
        for _ in 0..<threads {
            let started = spawnDetachedThread { [self] in
                while true {
                    available.wait()
                    if stopping.withLock({ $0 }) { return }
                    guard let job = pending.withLock({ $0.pop() }) else { continue }
                    work(job)
                }
            }
            if !started { return false }
        }
        return true
    }

    /// Queues a request; false (and nothing queued) when `limit` requests already wait.
    func submit(_ job: Job, limit: Int) -> Bool {
        let queued = pending.withLock { queue -> Bool in
            guard queue.incoming.count + queue.outgoing.count < limit else { return false }
            queue.push(job)
            return true
        }
        if queued { available.signal() }
        return queued
    }

    /// Workers finish the request in hand and exit; queued requests are dropped (their connections are gone).
    func stop() {
        stopping.withLock { $0 = true }
        for _ in 0..<threads { available.signal() }
    }
}

/// The server's I/O: one thread waits on the listening socket and every connection with epoll, reads
/// requests, hands complete ones to the `WorkerPool` and writes the answers back. Idle and slow
/// connections cost a small object each instead of a thread, so thousands of clients (or a slowloris
/// attack) do not starve the others.
final class EventLoop: @unchecked Sendable {
    // @unchecked: `connections`, `perAddress`, `chunk` and the other `var`s are touched only by the loop
    // thread; other threads reach the loop through `completions`, `stopLevel` and the wake pipe.
    private let epollFD: Int32
    private var listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let limits: HTTPLimits
    private let uncappedAddresses: Set<String>
    private let pool: WorkerPool
    private let errorResponse: @Sendable (Int) -> HTTPResponse
    /// Set once by `startWorkers`, before the loop runs.
    private var responder: (any HTTPResponder)?

    private var connections: [Int32: Connection] = [:]
    private var perAddress: [String: Int] = [:]
    private var nextID: UInt64 = 1
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var acceptPaused = false
    private var stopping = false

    private let completions = Locked<[Completion]>([])
    /// 0 running, 1 stop accepting and finish what is in flight, 2 close everything now.
    private let stopLevel = Locked(0)
    let openConnections = Locked(0)

    private static let sweepInterval: UInt64 = 25_000_000
    private static let lingerTime: UInt64 = 2_000_000_000
    private static let lingerBytes = 1 << 20
    private static let readPerWakeup = 256 * 1024

    init(listenFD: Int32, limits: HTTPLimits, uncappedAddresses: Set<String>,
         errorResponse: @escaping @Sendable (Int) -> HTTPResponse) throws(HTTPServerError) {
        self.listenFD = listenFD
        self.limits = limits
        self.uncappedAddresses = uncappedAddresses
        self.errorResponse = errorResponse
        pool = WorkerPool(threads: limits.workers)
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .system(call: "epoll_create1", errno: errno) }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            let e = errno
            Glibc.close(epollFD)
            throw .system(call: "pipe", errno: e)
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        register(listenFD, events: EPOLLIN.rawValue, operation: EPOLL_CTL_ADD)
        register(wakeRead, events: EPOLLIN.rawValue, operation: EPOLL_CTL_ADD)
    }

    /// Starts the workers; they answer with `respond` and post the bytes back here.
    func startWorkers(_ responder: any HTTPResponder, isStopping: @escaping @Sendable () -> Bool) -> Bool {
        self.responder = responder
        return pool.start { [self] job in
            let response = responder.respond(to: job.request)
            let responseCloses = response.headers.contains {
                asciiCaseInsensitiveEquals($0.0, "Connection") && $0.1.lowercased().contains("close")
            }
            let close = !job.keepAlive || responseCloses || isStopping()
            let bytes = ResponseWriter.serialize(response, isHead: job.isHead, close: close, http10KeepAlive: job.http10)
            complete(Completion(fd: job.fd, connectionID: job.connectionID, bytes: bytes, close: close))
        }
    }

    /// Called by workers.
    private func complete(_ completion: Completion) {
        let wasEmpty = completions.withLock { queue -> Bool in
            defer { queue.append(completion) }
            return queue.isEmpty
        }
        // One wake-up per batch: the loop takes the whole queue each time it wakes.
        if wasEmpty { wake() }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    /// Stop accepting; finish answers in flight (`force`: close everything at once).
    func requestStop(force: Bool) {
        stopLevel.withLock { $0 = max($0, force ? 2 : 1) }
        wake()
    }

    // MARK: - The loop

    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 512)
        var nextSweep = monotonicNanos() + Self.sweepInterval
        while true {
            let now = monotonicNanos()
            let timeout = nextSweep > now ? Int32((nextSweep - now) / 1_000_000 + 1) : 0
            let count = epoll_wait(epollFD, &events, Int32(events.count), timeout)
            if count < 0 && errno != EINTR { break }
            for index in 0..<max(0, Int(count)) {
                let fd = events[index].data.fd
                let flags = events[index].events
                if fd == listenFD {
                    acceptAll()
                } else if fd == wakeRead {
                    drainWakePipe()
                    deliverCompletions()
                    applyStopRequest()
                } else if let connection = connections[fd] {
                    handle(connection, flags: flags)
                }
            }
            let after = monotonicNanos()
            if after >= nextSweep {
                sweep(now: after)
                nextSweep = after + Self.sweepInterval
            }
            if stopping {
                closeIdleConnections()
                if connections.isEmpty || stopLevel.withLock({ $0 }) >= 2 { break }
            }
        }
        for connection in Array(connections.values) { close(connection) }
        if listenFD >= 0 { Glibc.close(listenFD) }
        pool.stop()
        Glibc.close(epollFD)
        Glibc.close(wakeRead)
        Glibc.close(wakeWrite)
    }

    private func applyStopRequest() {
        guard stopLevel.withLock({ $0 }) > 0, !stopping else { return }
        stopping = true
        if listenFD >= 0 {
            register(listenFD, events: 0, operation: EPOLL_CTL_DEL)
            Glibc.close(listenFD)
            listenFD = -1
        }
    }

    private func closeIdleConnections() {
        for connection in Array(connections.values) {
            switch connection.phase {
            case .awaitingHead where connection.buffer.isEmpty: close(connection)
            case .lingering: close(connection)
            default: break
            }
        }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 256)
        while scratch.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }

    private func deliverCompletions() {
        let batch = completions.withLock { queue -> [Completion] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for completion in batch {
            guard let connection = connections[completion.fd], connection.id == completion.connectionID else { continue }
            connection.output = completion.bytes
            connection.outputOffset = 0
            connection.closeAfterOutput = completion.close || stopping
            connection.phase = .sending
            flush(connection)
        }
    }

    // MARK: - Accepting

    private func acceptAll() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if client < 0 {
                let e = errno
                if e == EINTR || e == ECONNABORTED || e == EPROTO { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Out of descriptors: stop listening until the next sweep instead of spinning.
                    register(listenFD, events: 0, operation: EPOLL_CTL_MOD)
                    acceptPaused = true
                }
                return
            }
            // accept4 is not exported by the Glibc module; set the flags right after.
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            admit(client, remote: HTTPServer.addressAndPort(&storage).address)
        }
    }

    private func admit(_ fd: Int32, remote: String) {
        if connections.count >= limits.maxConnections { return reject(fd, status: 503) }
        let fromThisAddress = perAddress[remote, default: 0]
        if limits.maxConnectionsPerAddress > 0, fromThisAddress >= limits.maxConnectionsPerAddress,
           !uncappedAddresses.contains(remote) {
            return reject(fd, status: 429)
        }
        let connection = Connection(fd: fd, id: nextID, remoteAddress: remote, limits: limits, now: monotonicNanos())
        nextID += 1
        connections[fd] = connection
        perAddress[remote] = fromThisAddress + 1
        openConnections.withLock { $0 = connections.count }
        setInterest(connection, EPOLLIN.rawValue | EPOLLRDHUP.rawValue, operation: EPOLL_CTL_ADD)
    }

    /// Refuses an excess connection without ever waiting: the answer written at once, then a half-close
    /// so the client reads it, then close.
    private func reject(_ fd: Int32, status: Int) {
        var response = errorResponse(status)
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
        for _ in 0..<4 {
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n <= 0 { return }
        }
    }

    // MARK: - Connections

    private func handle(_ connection: Connection, flags: UInt32) {
        if flags & EPOLLOUT.rawValue != 0, case .sending = connection.phase {
            flush(connection)
            guard connections[connection.fd] === connection else { return }
        }
        switch connection.phase {
        case .awaitingHead, .awaitingBody, .lingering:
            // Reading also reveals an end of stream or an error.
            if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { readable(connection) }
        case .responding, .sending:
            if flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { close(connection) }
        }
    }

    private func readable(_ connection: Connection) {
        switch connection.phase {
        case .lingering:
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.recv(connection.fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    connection.drained += n
                    if connection.drained >= Self.lingerBytes { return close(connection) }
                    continue
                }
                if n < 0, errno == EINTR { continue }
                if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
                return close(connection)
            }
        case .awaitingHead, .awaitingBody:
            var total = 0
            var ended = false
            while total < Self.readPerWakeup {
                let n = chunk.withUnsafeMutableBytes { Glibc.recv(connection.fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    connection.buffer.append(contentsOf: chunk[0..<n])
                    total += n
                    continue
                }
                if n == 0 { ended = true; break }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return close(connection)
            }
            if total > 0 { advance(connection) }
            // The client will send nothing more: what it asked for is answered; a half request never will be.
            if ended, connections[connection.fd] === connection {
                switch connection.phase {
                case .awaitingHead, .awaitingBody: close(connection)
                default: connection.closeAfterOutput = true
                }
            }
        case .responding, .sending:
            // Not reading while answering: a pipelined request waits in the socket.
            return
        }
    }

    /// Parses what the buffer holds and moves the connection on: to a worker, to an error answer, or to
    /// waiting for more bytes.
    private func advance(_ connection: Connection) {
        let now = monotonicNanos()
        switch connection.phase {
        case .awaitingHead:
            guard !connection.buffer.isEmpty else { return }
            if !connection.headStarted {
                connection.headStarted = true
                let start = connection.answered == 0 ? connection.acceptedAt : now
                connection.deadline = start + limits.headerDeadline.nanoseconds
                connection.expiry = .requestTimeout
                connection.requestStartedAt = start
            }
            switch connection.parser.advance(connection.buffer) {
            case .needMore:
                return
            case .failed(let status):
                return fail(connection, status: status, isHead: false)
            case .complete(let head, let headEnd):
                switch Framing.analyze(head, limits: limits) {
                case .failure(let status):
                    return fail(connection, status: status, isHead: head.method == "HEAD")
                case .success(let framing):
                    if framing.contentLength > 0, connection.buffer.count - headEnd < framing.contentLength {
                        if framing.expectContinue {
                            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                            let sent = interim.withUnsafeBytes {
                                Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                            }
                            if sent != interim.count { return close(connection) }
                        }
                        connection.phase = .awaitingBody(head, framing, headEnd: headEnd)
                        awaitBody(connection, now: now)
                        return
                    }
                    dispatch(connection, head: head, framing: framing, headEnd: headEnd)
                }
            }
        case .awaitingBody(let head, let framing, let headEnd):
            if connection.buffer.count - headEnd >= framing.contentLength {
                dispatch(connection, head: head, framing: framing, headEnd: headEnd)
            } else {
                awaitBody(connection, now: now)
            }
        case .responding, .sending, .lingering:
            return
        }
    }

    /// The next deadline while a body arrives: a silence of `bodyIdle` closes without a word; the whole
    /// request's `requestDeadline`, when it comes first, answers 408.
    private func awaitBody(_ connection: Connection, now: UInt64) {
        let idle = now + limits.bodyIdle.nanoseconds
        let total = connection.requestStartedAt + limits.requestDeadline.nanoseconds
        connection.deadline = min(idle, total)
        connection.expiry = total <= idle ? .requestTimeout : .close
    }

    private func dispatch(_ connection: Connection, head: RequestHead, framing: Framing, headEnd: Int) {
        let end = headEnd + framing.contentLength
        let body = framing.contentLength > 0 ? Array(connection.buffer[headEnd..<end]) : []
        connection.consumed = end
        let request = HTTPRequest(method: head.method, target: String(decoding: head.target, as: UTF8.self),
                                  path: framing.path, query: framing.query,
                                  version: head.minorVersion == 1 ? "HTTP/1.1" : "HTTP/1.0",
                                  headers: HTTPHeaders(head.fields), body: body, remoteAddress: connection.remoteAddress)
        connection.phase = .responding
        connection.deadline = UInt64.max
        setInterest(connection, 0)
        // Admission control: past the bound a request would only wait longer than a client should, so it is
        // told at once to come back (503 + Retry-After) instead of growing the queue without limit.
        let job = Job(fd: connection.fd, connectionID: connection.id, request: request, isHead: head.method == "HEAD",
                      keepAlive: framing.keepAlive, http10: head.minorVersion == 0)
        let exempt = responder?.completesAdmittedWork(method: request.method, path: request.path) ?? false
        if !pool.submit(job, limit: exempt ? Int.max : limits.maxQueuedRequests) {
            fail(connection, status: 503, isHead: head.method == "HEAD", retryAfter: 1)
        }
    }

    /// Answers a protocol error and closes.
    private func fail(_ connection: Connection, status: Int, isHead: Bool, retryAfter: Int? = nil) {
        var response = errorResponse(status)
        if let retryAfter { response.setHeader("Retry-After", String(retryAfter)) }
        connection.output = ResponseWriter.serialize(response, isHead: isHead, close: true, http10KeepAlive: false)
        connection.outputOffset = 0
        connection.closeAfterOutput = true
        connection.phase = .sending
        flush(connection)
    }

    /// Writes what the socket takes; when the answer is out, lingers, closes or reads the next request.
    private func flush(_ connection: Connection) {
        let total = connection.output.count
        while connection.outputOffset < total {
            let n = connection.output.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(connection.fd, base + connection.outputOffset, total - connection.outputOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                connection.outputOffset += n
                continue
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                connection.deadline = monotonicNanos() + limits.sendIdle.nanoseconds
                connection.expiry = .close
                if connection.interest != EPOLLOUT.rawValue { setInterest(connection, EPOLLOUT.rawValue) }
                return
            }
            return close(connection)
        }
        connection.output = []
        connection.outputOffset = 0
        connection.answered += 1
        if connection.closeAfterOutput { return linger(connection) }
        connection.startNextRequest(limits: limits, now: monotonicNanos())
        setInterest(connection, EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        advance(connection)  // a pipelined request may already be complete
    }

    private func linger(_ connection: Connection) {
        Glibc.shutdown(connection.fd, Int32(SHUT_WR))
        connection.phase = .lingering
        connection.deadline = monotonicNanos() + Self.lingerTime
        connection.expiry = .close
        setInterest(connection, EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
    }

    private func close(_ connection: Connection) {
        guard connections[connection.fd] === connection else { return }
        connections.removeValue(forKey: connection.fd)
        if let count = perAddress[connection.remoteAddress], count > 1 {
            perAddress[connection.remoteAddress] = count - 1
        } else {
            perAddress.removeValue(forKey: connection.remoteAddress)
        }
        openConnections.withLock { $0 = connections.count }
        Glibc.close(connection.fd)  // also removes it from the epoll set
    }

    /// Deadlines: checked a few dozen times a second rather than kept in a timer heap; with ten thousand
    /// connections a pass costs well under a millisecond.
    private func sweep(now: UInt64) {
        if acceptPaused, listenFD >= 0 {
            acceptPaused = false
            register(listenFD, events: EPOLLIN.rawValue, operation: EPOLL_CTL_MOD)
        }
        var expired: [Connection] = []
        for connection in connections.values where connection.deadline <= now { expired.append(connection) }
        for connection in expired {
            switch connection.expiry {
            case .close: close(connection)
            case .requestTimeout: fail(connection, status: 408, isHead: false)
            }
        }
    }

    private func setInterest(_ connection: Connection, _ events: UInt32, operation: Int32 = EPOLL_CTL_MOD) {
        connection.interest = events
        register(connection.fd, events: events, operation: operation)
    }

    private func register(_ fd: Int32, events: UInt32, operation: Int32) {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        _ = epoll_ctl(epollFD, operation, fd, &event)
    }
}
