import Testing

@testable import SportelloHTTP

/// The connection logic without sockets or wall time: every deadline is checked exactly at its bound (one
/// nanosecond before it nothing happens) with the clock values the tests pass.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    typealias Action = ConnectionStateMachine.Action

    static let second: UInt64 = 1_000_000_000
    /// The documented limits (docs/ARCHITECTURE.md §5): 10 s head, 10 s body silence, 30 s whole request,
    /// 15 s keep-alive idle, 10 s unread answer.
    static let limits = HTTPLimits.standard
    /// An arbitrary start, far from zero so that no arithmetic hides behind it.
    static let t0: UInt64 = 1_000 * second

    static func at(_ seconds: Double) -> UInt64 { t0 + UInt64(seconds * 1_000_000_000) }

    static func machine(limits: HTTPLimits = limits) -> Machine {
        Machine(limits: limits, remoteAddress: "192.0.2.7", acceptedAt: t0)
    }

    /// Answers what was dispatched with `bytes` and writes them all at `now`.
    static func answer(
        _ machine: inout Machine, _ bytes: String = "HTTP/1.1 200 OK\r\n\r\n", close: Bool = false,
        now: UInt64
    ) -> Action {
        let bytes = Array(bytes.utf8)
        #expect(machine.responseReady(bytes, close: close).kind == "write")
        #expect(machine.pendingOutput.count == bytes.count)
        return machine.wrote(bytes.count, now: now)
    }

    // MARK: - Requests and keep-alive

    @Test func aCompleteRequestIsDispatchedAndTheConnectionPersists() throws {
        var machine = Self.machine()
        let action = machine.received(Array("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        let dispatch = try #require(action.dispatch)
        #expect(dispatch.request.method == "GET")
        #expect(dispatch.request.path == "/a")
        #expect(dispatch.request.query == "b=1")
        #expect(dispatch.request.remoteAddress == "192.0.2.7")
        #expect(dispatch.keepAlive && !dispatch.isHead && !dispatch.http10)
        #expect(!machine.wantsToRead)
        #expect(machine.deadline == nil)  // the worker's time is not the client's
        #expect(machine.deadlinePassed(now: Self.at(10_000)).kind == "none")
        #expect(Self.answer(&machine, now: Self.at(2)).kind == "readNext")
        #expect(machine.answered == 1)
        #expect(machine.wantsToRead && machine.isIdle)
        #expect(machine.buffer.isEmpty)
    }

    @Test func aBodyIsCollectedAcrossReads() throws {
        var machine = Self.machine()
        let head = "POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
        #expect(machine.received(Array((head + "abc").utf8), now: Self.at(1)).kind == "none")
        #expect(machine.received(Array("defg".utf8), now: Self.at(2)).kind == "none")
        let dispatch = try #require(machine.received(Array("hij".utf8), now: Self.at(3)).dispatch)
        #expect(dispatch.request.body == Array("abcdefghij".utf8))
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() throws {
        var machine = Self.machine()
        let head = "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
        #expect(machine.received(Array(head.utf8), now: Self.at(1)).kind == "sendContinue")
        #expect(try #require(machine.received(Array("ok".utf8), now: Self.at(2)).dispatch).request.body == [111, 107])
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() throws {
        var plain = Self.machine()
        let closing = try #require(plain.received(Array("GET / HTTP/1.0\r\n\r\n".utf8), now: Self.at(1)).dispatch)
        #expect(!closing.keepAlive && closing.http10)
        var kept = Self.machine()
        let request = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        #expect(try #require(kept.received(Array(request.utf8), now: Self.at(1)).dispatch).keepAlive)
    }

    @Test func aClosingAnswerLingersThenCloses() {
        var machine = Self.machine()
        _ = machine.received(Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8), now: Self.at(1))
        #expect(Self.answer(&machine, close: true, now: Self.at(2)).kind == "shutdownAndLinger")
        #expect(machine.isLingering && machine.wantsToRead && machine.isIdle)
        // What the client still sends is dropped, up to a bound.
        #expect(machine.drained(1000).kind == "none")
        #expect(machine.drained(Machine.lingerBytes - 1000).kind == "close")
        var patient = Self.machine()
        _ = patient.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        _ = Self.answer(&patient, close: true, now: Self.at(2))
        #expect(patient.deadline == Self.at(2) + Machine.lingerTime)
        #expect(patient.deadlinePassed(now: Self.at(2) + Machine.lingerTime - 1).kind == "none")
        #expect(patient.deadlinePassed(now: Self.at(2) + Machine.lingerTime).kind == "close")
        #expect(patient.peerClosed().kind == "none")  // already closed: nothing more to do
    }

    // MARK: - Pipelining

    @Test func pipelinedRequestsAreAnsweredInOrderOneAtATime() throws {
        var machine = Self.machine()
        let three =
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            + "GET /3 HTTP/1.1\r\nHo"
        let first = try #require(machine.received(Array(three.utf8), now: Self.at(1)).dispatch)
        #expect(first.request.path == "/1")
        // Bytes arriving while the first is answered are kept, not parsed.
        #expect(machine.received(Array("st: x\r\n".utf8), now: Self.at(1.5)).kind == "none")
        let second = try #require(Self.answer(&machine, now: Self.at(2)).dispatch)
        #expect(second.request.path == "/2")
        #expect(second.request.body == Array("abc".utf8))
        // The third head is incomplete: the connection reads again, its head timed from when reading resumed.
        #expect(Self.answer(&machine, now: Self.at(3)).kind == "readNext")
        #expect(machine.deadline == Self.at(3) + Self.limits.headerDeadline.nanoseconds)
        let third = try #require(machine.received(Array("\r\n".utf8), now: Self.at(4)).dispatch)
        #expect(third.request.path == "/3")
        #expect(Self.answer(&machine, now: Self.at(5)).kind == "readNext")
        #expect(machine.answered == 3)
        #expect(machine.buffer.isEmpty)
    }

    // MARK: - Deadlines, each exactly at its bound

    @Test func aSilentNewConnectionClosesWithoutAWordAtTheHeadDeadline() {
        var machine = Self.machine()
        let bound = Self.t0 + Self.limits.headerDeadline.nanoseconds
        #expect(machine.deadline == bound)
        #expect(machine.deadlinePassed(now: bound - 1).kind == "none")
        #expect(machine.deadlinePassed(now: bound).kind == "close")
        #expect(machine.received(Array("GET".utf8), now: bound + 1).kind == "none")  // closed: nothing happens
    }

    @Test func slowlorisHeadIsToldRequestTimeoutAtTheHeadDeadlineFromAccept() {
        var machine = Self.machine()
        let bound = Self.t0 + Self.limits.headerDeadline.nanoseconds
        // One byte a second: never silent, never finished.
        for (index, byte) in "GET / HTTP/1.1\r\nX:".utf8.enumerated() where index < 9 {
            #expect(machine.received([byte], now: Self.at(Double(index + 1))).kind == "none")
            #expect(machine.deadline == bound)
        }
        #expect(machine.deadlinePassed(now: bound - 1).kind == "none")
        #expect(machine.deadlinePassed(now: bound).errorStatus == 408)
        #expect(!machine.wantsToRead)
        #expect(machine.responseReady(Array("HTTP/1.1 408\r\n\r\n".utf8), close: true).kind == "write")
        #expect(machine.wrote(16, now: bound + 1).kind == "shutdownAndLinger")
    }

    @Test func keepAliveIdleClosesSilentlyAndALaterHeadGetsItsOwnDeadline() {
        var idle = Self.machine()
        _ = idle.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        _ = Self.answer(&idle, now: Self.at(2))
        let idleBound = Self.at(2) + Self.limits.keepAliveIdle.nanoseconds
        #expect(idle.deadline == idleBound)
        #expect(idle.deadlinePassed(now: idleBound - 1).kind == "none")
        #expect(idle.deadlinePassed(now: idleBound).kind == "close")

        var busy = Self.machine()
        _ = busy.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        _ = Self.answer(&busy, now: Self.at(2))
        #expect(busy.received(Array("GET /next".utf8), now: Self.at(7)).kind == "none")
        let headBound = Self.at(7) + Self.limits.headerDeadline.nanoseconds
        #expect(busy.deadline == headBound)
        #expect(busy.deadlinePassed(now: headBound - 1).kind == "none")
        #expect(busy.deadlinePassed(now: headBound).errorStatus == 408)
    }

    @Test func aSilentBodyClosesAtTheBodyIdleBound() {
        var machine = Self.machine()
        let head = "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab"
        #expect(machine.received(Array(head.utf8), now: Self.at(1)).kind == "none")
        #expect(machine.received(Array("cd".utf8), now: Self.at(3)).kind == "none")
        let bound = Self.at(3) + Self.limits.bodyIdle.nanoseconds
        #expect(machine.deadline == bound)
        #expect(machine.deadlinePassed(now: bound - 1).kind == "none")
        #expect(machine.deadlinePassed(now: bound).kind == "close")
    }

    @Test func aDribbledBodyIsToldRequestTimeoutAtTheWholeRequestDeadline() {
        var machine = Self.machine()
        let head = "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
        #expect(machine.received(Array(head.utf8), now: Self.at(1)).kind == "none")
        // A byte every 5 s: never silent for 10 s, never finished. The 30 s count from accept (first request).
        var second = 1.0
        while second < 29 {
            second += 5
            #expect(machine.received([120], now: Self.at(second)).kind == "none")
        }
        let bound = Self.t0 + Self.limits.requestDeadline.nanoseconds
        #expect(machine.deadline == bound)
        #expect(machine.deadlinePassed(now: bound - 1).kind == "none")
        #expect(machine.deadlinePassed(now: bound).errorStatus == 408)
    }

    @Test func aClientThatDoesNotReadItsAnswerIsCutOffAtTheSendBound() {
        var machine = Self.machine()
        _ = machine.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        let answer = [UInt8](repeating: 65, count: 1000)
        #expect(machine.responseReady(answer, close: false).kind == "write")
        #expect(machine.deadline == nil)  // writing without being refused: no deadline yet
        #expect(machine.wrote(400, now: Self.at(2)).kind == "write")
        #expect(machine.pendingOutput.count == 600)
        #expect(machine.writeBlocked(now: Self.at(2)).kind == "waitForWritable")
        // Progress restarts the count: the limit is per send, not for the whole answer.
        #expect(machine.wrote(100, now: Self.at(9)).kind == "write")
        #expect(machine.writeBlocked(now: Self.at(9)).kind == "waitForWritable")
        let bound = Self.at(9) + Self.limits.sendIdle.nanoseconds
        #expect(machine.deadline == bound)
        #expect(machine.deadlinePassed(now: bound - 1).kind == "none")
        #expect(machine.deadlinePassed(now: bound).kind == "close")
        #expect(machine.pendingOutput.isEmpty)
    }

    @Test func anErrorAnswerLeftUnreadIsNeverReplacedByALaterTimeout() {
        // The head deadline of the refused request must not fire a second answer into the first one.
        var machine = Self.machine(limits: HTTPLimits(requestLine: 16))
        #expect(machine.received(Array("GET /aaaaaaaaaaaaaaaaaaaa".utf8), now: Self.at(1)).errorStatus == 414)
        #expect(machine.responseReady([UInt8](repeating: 65, count: 100), close: true).kind == "write")
        #expect(machine.wrote(10, now: Self.at(2)).kind == "write")
        #expect(machine.writeBlocked(now: Self.at(2)).kind == "waitForWritable")
        let headBound = Self.t0 + Self.limits.headerDeadline.nanoseconds
        #expect(machine.deadlinePassed(now: headBound).kind == "none")
        #expect(machine.pendingOutput.count == 90)
        #expect(machine.deadlinePassed(now: Self.at(2) + Self.limits.sendIdle.nanoseconds).kind == "close")
    }

    // MARK: - Limits and bad input

    @Test func oversizedHeadsAndBodiesAreRefusedWithTheirStatus() {
        let limits = HTTPLimits(requestLine: 64, headerBlock: 128, headerFields: 4, body: 100)
        let cases: [(String, Int)] = [
            ("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\n", 414),
            ("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "b", count: 200) + "\r\n", 431),
            ("GET / HTTP/1.1\r\n" + String(repeating: "A: 1\r\n", count: 5) + "\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
            ("GET / HTTP/1.1\r\n\r\n", 400),  // no Host
            ("GET / HTTP/1.1\nHost: x\r\n\r\n", 400),  // bare LF
        ]
        for (text, status) in cases {
            var machine = Self.machine(limits: limits)
            let action = machine.received(Array(text.utf8), now: Self.at(1))
            #expect(action.errorStatus == status, "\(text.prefix(40))")
            #expect(!machine.wantsToRead)
            #expect(machine.responseReady(Array("HTTP/1.1 \(status)\r\n\r\n".utf8), close: true).kind == "write")
        }
        var head = Self.machine(limits: limits)
        let refusedHead = head.received(Array("HEAD / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".utf8), now: Self.at(1))
        #expect(refusedHead.errorStatus == 400 && refusedHead.errorIsHead == true)
    }

    @Test func theVerdictDoesNotDependOnHowBytesAreSplit() {
        let text = Array("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody".utf8)
        for size in 1...7 {
            var machine = Self.machine()
            var dispatched = 0
            var offset = 0
            while offset < text.count {
                let piece = text[offset..<min(text.count, offset + size)]
                if machine.received(piece, now: Self.at(1)).dispatch != nil { dispatched += 1 }
                offset += size
            }
            #expect(dispatched == 1, "pieces of \(size)")
        }
    }

    // MARK: - The client going away

    @Test func aClientClosingMidRequestIsClosedAtOnce() {
        var midBody = Self.machine()
        _ = midBody.received(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab".utf8), now: Self.at(1))
        #expect(midBody.peerClosed().kind == "close")
        #expect(midBody.deadline == nil && midBody.buffer.isEmpty)
        var midHead = Self.machine()
        _ = midHead.received(Array("GET / HT".utf8), now: Self.at(1))
        #expect(midHead.peerClosed().kind == "close")
        var idle = Self.machine()
        #expect(idle.peerClosed().kind == "close")
    }

    @Test func aClientClosingAfterItsRequestsStillGetsEveryAnswerThenTheConnectionEnds() throws {
        var machine = Self.machine()
        let two = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HT"
        #expect(try #require(machine.received(Array(two.utf8), now: Self.at(1)).dispatch).request.path == "/1")
        #expect(machine.peerClosed().kind == "none")
        // The worker said keep-alive and the second request is already here: it is answered too.
        #expect(try #require(Self.answer(&machine, close: false, now: Self.at(2)).dispatch).request.path == "/2")
        // The third is incomplete and will never be finished: no waiting for it.
        #expect(Self.answer(&machine, close: false, now: Self.at(3)).kind == "close")

        var writing = Self.machine()
        _ = writing.received(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        #expect(writing.responseReady([1, 2, 3], close: false).kind == "write")
        #expect(writing.peerClosed().kind == "none")
        #expect(writing.wrote(3, now: Self.at(2)).kind == "close")
    }

    // MARK: - Admission control

    @Test func aRefusedDispatchIsToldServiceUnavailableWithRetryAfter() {
        var machine = Self.machine()
        let dispatched = machine.received(Array("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        #expect(dispatched.dispatch?.isHead == true)
        let refused = machine.admissionRefused(isHead: true)
        #expect(refused.errorStatus == 503)
        #expect(refused.errorIsHead == true)
        if case .answerError(_, _, let retryAfter) = refused { #expect(retryAfter == 1) }
        #expect(Self.answer(&machine, close: true, now: Self.at(1)).kind == "shutdownAndLinger")
        // Only a request in hand can be refused.
        var reading = Self.machine()
        #expect(reading.admissionRefused(isHead: false).kind == "none")
        #expect(reading.responseReady([1], close: false).kind == "none")
    }

    // MARK: - Stopping

    @Test func onlyConnectionsBetweenRequestsAreIdle() {
        var machine = Self.machine()
        #expect(machine.isIdle)
        _ = machine.received(Array("GET".utf8), now: Self.at(1))
        #expect(!machine.isIdle)
        _ = machine.received(Array(" / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: Self.at(1))
        #expect(!machine.isIdle)
        #expect(machine.closeNow().kind == "close")
        #expect(!machine.wantsToRead)
        #expect(machine.deadline == nil)
    }
}

extension ConnectionStateMachine.Action {
    /// The case's name, for comparisons in tests.
    var kind: String {
        switch self {
        case .none: "none"
        case .sendContinue: "sendContinue"
        case .dispatch: "dispatch"
        case .answerError: "answerError"
        case .write: "write"
        case .waitForWritable: "waitForWritable"
        case .readNext: "readNext"
        case .shutdownAndLinger: "shutdownAndLinger"
        case .close: "close"
        }
    }

    var dispatch: ConnectionStateMachine.Dispatch? {
        if case .dispatch(let dispatch) = self { return dispatch }
        return nil
    }

    var errorStatus: Int? {
        if case .answerError(let status, _, _) = self { return status }
        return nil
    }

    var errorIsHead: Bool? {
        if case .answerError(_, let isHead, _) = self { return isHead }
        return nil
    }
}
