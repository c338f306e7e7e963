import CEpoll
import Dispatch
import Glibc
import SportelloCore

/// Part of the server's I/O: one thread waits on the listening socket and its connections with epoll, reads
/// requests, answers static ones itself, hands the others to the shared `WorkerPool` and writes the answers
/// back. Idle and slow connections cost a small object each instead of a thread, so thousands of clients (or a
/// slowloris attack) do not starve the others. A server runs one loop per core (`HTTPLimits.eventLoops`), all
/// accepting from the same listening socket; the connection caps are counted across them (`ConnectionTally`).
final class EventLoop: @unchecked Sendable {
    // @unchecked: `connections`, `chunk` and the other `var`s are touched only by the loop thread; other
    // threads reach the loop through `completions`, `stopLevel` and the wake pipe.
    private let epollFD: Int32
    private var listenFD: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let limits: HTTPLimits
    private let uncappedAddresses: Set<String>
    private let pool: WorkerPool
    private let tally: ConnectionTally
    private let errorResponse: @Sendable (Int) -> HTTPResponse
    private let responder: any HTTPResponder

    private var connections: [Int32: Connection] = [:]
    private var nextID: UInt64 = 1
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var acceptPaused = false
    private var stopping = false

    private let completions = Locked<[Completion]>([])
    /// 0 running, 1 stop accepting and finish what is in flight, 2 close everything now.
    private let stopLevel = Locked(0)

    private static let sweepInterval: UInt64 = 25_000_000
    private static let readPerWakeup = 256 * 1024

    /// Monotonic nanoseconds: every deadline is decided by the connections' state machines from this value.
    private let clock: @Sendable () -> UInt64

    /// `listenFD` becomes the loop's own (it closes it when stopping): give each loop its own `dup`.
    init(
        listenFD: Int32, limits: HTTPLimits, uncappedAddresses: Set<String>, responder: any HTTPResponder,
        pool: WorkerPool, tally: ConnectionTally, clock: @escaping @Sendable () -> UInt64 = monotonicNanos,
        errorResponse: @escaping @Sendable (Int) -> HTTPResponse
    ) throws(HTTPServerError) {
        self.listenFD = listenFD
        self.clock = clock
        self.limits = limits
        self.uncappedAddresses = uncappedAddresses
        self.responder = responder
        self.pool = pool
        self.tally = tally
        self.errorResponse = errorResponse
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
        register(listenFD, events: Self.listening, operation: EPOLL_CTL_ADD)
        register(wakeRead, events: EPOLLIN.rawValue, operation: EPOLL_CTL_ADD)
    }

    /// Every loop waits on the listening socket, but a new connection wakes only one of them (EPOLLEXCLUSIVE).
    private static let listening = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue

    /// An answer from a worker, for one of this loop's connections. Called by workers.
    func complete(_ completion: Completion) {
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
        var nextSweep = clock() + Self.sweepInterval
        while true {
            let now = clock()
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
            let after = clock()
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
        for connection in Array(connections.values) where connection.machine.isIdle { close(connection) }
    }

    private func drainWakePipe() {
        var scratch = [UInt8](repeating: 0, count: 256)
        // A short read emptied the pipe; a byte written after it is reported by the next `epoll_wait`.
        while scratch.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) == scratch.count {}
    }

    private func deliverCompletions() {
        let batch = completions.withLock { queue -> [Completion] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        for completion in batch {
            guard let connection = connections[completion.fd], connection.id == completion.connectionID else {
                continue
            }
            perform(
                connection.machine.responseReady(completion.bytes, close: completion.close || stopping),
                on: connection)
        }
    }

    // MARK: - Accepting

    /// Takes a few new connections per wake-up, not all of them, so a burst spreads over the loops.
    private func acceptAll() {
        for _ in 0..<4 {
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
                    register(listenFD, events: 0, operation: EPOLL_CTL_DEL)
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
        if let refusal = tally.admit(
            remote, maxConnections: limits.maxConnections,
            maxPerAddress: limits.maxConnectionsPerAddress,
            uncapped: uncappedAddresses.contains(remote))
        {
            return reject(fd, status: refusal)
        }
        let connection = Connection(fd: fd, id: nextID, remoteAddress: remote, limits: limits, now: clock())
        nextID += 1
        connections[fd] = connection
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

    /// Socket readiness: writes what is pending, reads what arrived, and feeds the outcome to the connection's
    /// state machine.
    private func handle(_ connection: Connection, flags: UInt32) {
        if flags & EPOLLOUT.rawValue != 0, !connection.machine.pendingOutput.isEmpty {
            flush(connection)
            guard connections[connection.fd] === connection else { return }
        }
        if connection.machine.wantsToRead {
            // Reading also reveals an end of stream or an error.
            let readable = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
            if flags & readable != 0 { read(connection) }
        } else if flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            // Not reading while answering (a pipelined request waits in the socket), but a dead socket ends it.
            perform(connection.machine.closeNow(), on: connection)
        } else if connection.interest & EPOLLIN.rawValue != 0 {
            // A request being answered keeps the reading interest it had (two `epoll_ctl` calls a request fewer);
            // only when bytes or an end of stream arrive meanwhile is it dropped, so they wait in the socket
            // instead of waking the loop again and again.
            setInterest(connection, 0)
        }
    }

    private func read(_ connection: Connection) {
        let lingering = connection.machine.isLingering
        var total = 0
        var ended = false
        while total < Self.readPerWakeup {
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                if lingering {
                    perform(connection.machine.drained(n), on: connection)
                    guard connections[connection.fd] === connection else { return }
                } else {
                    connection.machine.append(chunk[0..<n])
                }
                total += n
                // A short read emptied the socket: no second call only to be told so (the socket stays in the
                // epoll set, which reports what arrives later).
                if n < chunk.count { break }
                continue
            }
            if n == 0 {
                ended = true
                break
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            return perform(connection.machine.closeNow(), on: connection)
        }
        if total > 0, !lingering { perform(connection.machine.advance(now: clock()), on: connection) }
        if ended, connections[connection.fd] === connection { perform(connection.machine.peerClosed(), on: connection) }
    }

    /// Carries out what the state machine decided; follows chains (an answer written at once may start the
    /// next pipelined request).
    private func perform(_ first: ConnectionStateMachine.Action, on connection: Connection) {
        var action = first
        while true {
            guard connections[connection.fd] === connection else { return }
            switch action {
            case .none:
                return
            case .sendContinue:
                let interim = Self.continueBytes
                let sent = interim.withUnsafeBytes {
                    Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if sent != interim.count { action = connection.machine.closeNow() } else { return }
            case .dispatch(let dispatch):
                action = answer(dispatch, on: connection)
            case .answerError(let status, let isHead, let retryAfter):
                var response = errorResponse(status)
                if let retryAfter { response.setHeader("Retry-After", String(retryAfter)) }
                let bytes = ResponseWriter.serialize(response, isHead: isHead, close: true, http10KeepAlive: false)
                action = connection.machine.responseReady(bytes, close: true)
            case .write:
                return flush(connection)
            case .waitForWritable:
                if connection.interest != EPOLLOUT.rawValue { setInterest(connection, EPOLLOUT.rawValue) }
                return
            case .readNext:
                let reading = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
                // An answer written at once (a static page) never stopped reading: no system call.
                if connection.interest != reading { setInterest(connection, reading) }
                return
            case .shutdownAndLinger:
                Glibc.shutdown(connection.fd, Int32(SHUT_WR))
                setInterest(connection, EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
                return
            case .close:
                return close(connection)
            }
        }
    }

    /// Answers a complete request: on this thread when the responder says it is quick (a static file), else
    /// through the worker queue, subject to admission control.
    private func answer(
        _ dispatch: ConnectionStateMachine.Dispatch, on connection: Connection
    )
        -> ConnectionStateMachine.Action
    {
        let request = dispatch.request
        if responder.answersOnEventLoop(request) {
            let (bytes, close) = Self.serialize(responder.respond(to: request), for: dispatch, stopping: stopping)
            return connection.machine.responseReady(bytes, close: close)
        }
        let job = Job(origin: self, fd: connection.fd, connectionID: connection.id, dispatch: dispatch)
        // Admission control: past the bound a request would only wait longer than a client should, so it is
        // told at once to come back (503 + Retry-After) instead of growing the queue without limit.
        let exempt = responder.completesAdmittedWork(method: request.method, path: request.path)
        if pool.submit(job, limit: exempt ? Int.max : limits.maxQueuedRequests) { return .none }
        return connection.machine.admissionRefused(isHead: dispatch.isHead)
    }

    /// The bytes of an answer and whether the connection closes after it.
    static func serialize(
        _ response: HTTPResponse, for dispatch: ConnectionStateMachine.Dispatch,
        stopping: Bool
    ) -> (bytes: [UInt8], close: Bool) {
        let responseCloses = response.headers.contains {
            asciiCaseInsensitiveEquals($0.0, "Connection") && $0.1.lowercased().contains("close")
        }
        let close = !dispatch.keepAlive || responseCloses || stopping
        let bytes = ResponseWriter.serialize(
            response, isHead: dispatch.isHead, close: close,
            http10KeepAlive: dispatch.http10)
        return (bytes, close)
    }

    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Writes what the socket takes and reports it to the state machine.
    private func flush(_ connection: Connection) {
        while true {
            let pending = connection.machine.pendingOutput
            if pending.isEmpty { return }
            let n = pending.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(connection.fd, base, raw.count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                let next = connection.machine.wrote(n, now: clock())
                if case .write = next { continue }
                return perform(next, on: connection)
            }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                return perform(connection.machine.writeBlocked(now: clock()), on: connection)
            }
            return perform(connection.machine.closeNow(), on: connection)
        }
    }

    private func close(_ connection: Connection) {
        guard connections[connection.fd] === connection else { return }
        if case .closed = connection.machine.state {} else { _ = connection.machine.closeNow() }
        connections.removeValue(forKey: connection.fd)
        tally.release(connection.remoteAddress)
        Glibc.close(connection.fd)  // also removes it from the epoll set
    }

    /// Deadlines: checked a few dozen times a second rather than kept in a timer heap; with ten thousand
    /// connections a pass costs well under a millisecond.
    private func sweep(now: UInt64) {
        if acceptPaused, listenFD >= 0 {
            acceptPaused = false
            register(listenFD, events: Self.listening, operation: EPOLL_CTL_ADD)
        }
        var expired: [Connection] = []
        for connection in connections.values {
            if let deadline = connection.machine.deadline, deadline <= now { expired.append(connection) }
        }
        for connection in expired { perform(connection.machine.deadlinePassed(now: now), on: connection) }
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
