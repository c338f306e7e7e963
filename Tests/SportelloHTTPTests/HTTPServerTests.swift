import Foundation
import Glibc
import Testing

@testable import SportelloHTTP

@Suite struct HTTPServerTests {
    @Test func getAndPostEcho() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            let got = try #require(client.exchange(get("/caf%C3%A9/x?a=1&b=2")))
            #expect(got.status == 200)
            #expect(got.text == "GET /café/x q=a=1&b=2\n")
            #expect(got.header("Date") != nil)
            #expect(got.header("Content-Length") == String(got.body.count))
            #expect(got.header("Connection") == nil)

            let posted = try #require(
                client.exchange("POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"))
            #expect(posted.status == 200)
            #expect(posted.text == "POST /form q=-\nhello world")
        }
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            #expect(client.exchange(get("/one"))?.text == "GET /one q=-\n")
            #expect(client.exchange(get("/two"))?.text == "GET /two q=-\n")
            #expect(server.connectionCount == 1)
        }
    }

    @Test func pipelinedRequestsAnswerInOrder() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            client.send(
                get("/a") + "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz" + "\r\n"
                    + get("/c", "Connection: close\r\n"))
            #expect(client.readResponse()?.text == "GET /a q=-\n")
            #expect(client.readResponse()?.text == "POST /b q=-\nxyz")
            let last = client.readResponse()
            #expect(last?.text == "GET /c q=-\n")
            #expect(last?.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    @Test func http10ClosesUnlessKeepAlive() throws {
        try withServer { server in
            let plain = try TestClient(port: server.port)
            #expect(plain.exchange("GET / HTTP/1.0\r\n\r\n")?.status == 200)
            #expect(plain.isClosedByServer())

            let kept = try TestClient(port: server.port)
            let first = kept.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(first?.header("Connection") == "keep-alive")
            #expect(kept.exchange("GET /again HTTP/1.0\r\n\r\n")?.text == "GET /again q=-\n")
            #expect(kept.isClosedByServer())
        }
    }

    @Test func headGetsHeadersWithoutBody() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            client.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + get("/after"))
            let head = try #require(client.readResponse(head: true))
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == String("HEAD /h q=-\n".utf8.count))
            // The next response follows immediately: no body bytes were sent for HEAD.
            #expect(client.readResponse()?.text == "GET /after q=-\n")
        }
    }

    @Test func expectContinueGetsInterimResponse() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            client.send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
            #expect(client.readResponse()?.status == 100)
            client.send("ok")
            #expect(client.readResponse()?.text == "POST /e q=-\nok")
        }
    }

    // MARK: - docs/ARCHITECTURE.md §5 limits

    @Test func requestLineTooLongIs414() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            // Refused as soon as the line passes the limit, without waiting for its end.
            client.send("GET /" + String(repeating: "a", count: 9000))
            let response = client.readResponse()
            #expect(response?.status == 414)
            #expect(response?.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    @Test func requestLineAtTheLimitIsServed() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            let path = "/" + String(repeating: "a", count: 8 * 1024 - "GET  HTTP/1.1".count - 1)
            #expect(client.exchange(get(path))?.status == 200)
        }
    }

    @Test func headerBlockTooLargeIs431() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            let filler = (0..<20).map { "X-Fill-\($0): " + String(repeating: "v", count: 1000) + "\r\n" }.joined()
            let response = client.exchange(get("/", filler))
            #expect(response?.status == 431)
            #expect(response?.header("Connection") == "close")
            #expect(client.isClosedByServer())
        }
    }

    @Test func tooManyHeaderFieldsIs431() throws {
        try withServer { server in
            let fields = { (n: Int) in (0..<n).map { "X-F\($0): v\r\n" }.joined() }
            let ok = try TestClient(port: server.port)
            #expect(ok.exchange(get("/", fields(99)))?.status == 200)  // 99 + Host = 100
            let refused = try TestClient(port: server.port)
            #expect(refused.exchange(get("/", fields(100)))?.status == 431)  // 101 fields
        }
    }

    @Test func bodyTooLargeIs413BeforeReadingIt() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            // No body is sent: the answer must come from Content-Length alone.
            let response = client.exchange("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 65537\r\n\r\n")
            #expect(response?.status == 413)
            #expect(client.isClosedByServer())
            let exact = try TestClient(port: server.port)
            let body = String(repeating: "b", count: 64 * 1024)
            #expect(
                exact.exchange("POST /max HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n" + body)?.status
                    == 200)
        }
    }

    @Test func stalledHeaderGets408ThenClose() throws {
        try withServer(limits: shortLimits) { server in
            let client = try TestClient(port: server.port)
            let started = Date()
            client.send("GET / HTTP/1.1\r\nHost: t\r\n")
            let response = client.readResponse()
            #expect(response?.status == 408)
            #expect(response?.header("Connection") == "close")
            #expect(client.isClosedByServer())
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test func slowlorisTrickleStillHitsTheHeaderDeadline() throws {
        try withServer(limits: shortLimits) { server in
            let client = try TestClient(port: server.port)
            let started = Date()
            client.send("GET / HTTP/1.1\r\n")
            var status: Int?
            for i in 0..<40 {
                usleep(50_000)
                if !client.send("X-\(i): y\r\n") { break }
                if Date().timeIntervalSince(started) > 0.6 { break }
            }
            status = client.readResponse()?.status
            #expect(status == 408 || client.sawEOF)
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        try withServer(limits: shortLimits) { server in
            let client = try TestClient(port: server.port)
            #expect(client.exchange(get("/"))?.status == 200)
            let started = Date()
            #expect(client.isClosedByServer())  // no response, just close
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test func silentNewConnectionIsClosedWithoutResponse() throws {
        try withServer(limits: shortLimits) { server in
            let client = try TestClient(port: server.port)
            #expect(client.readToEOF().isEmpty)
            #expect(client.sawEOF)
        }
    }

    @Test func stalledBodyIsClosed() throws {
        try withServer(limits: shortLimits) { server in
            let client = try TestClient(port: server.port)
            client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            #expect(client.readToEOF().isEmpty)
            #expect(client.sawEOF)
        }
    }

    @Test func dribbledBodyHitsTheWholeRequestDeadline() throws {
        // A byte every 100 ms is never silent for bodyIdle (300 ms), yet the request has 600 ms in all.
        let limits = HTTPLimits(
            headerDeadline: .milliseconds(300), bodyIdle: .milliseconds(300), requestDeadline: .milliseconds(600),
            keepAliveIdle: .milliseconds(300), sendIdle: .milliseconds(300))
        try withServer(limits: limits) { server in
            let client = try TestClient(port: server.port)
            let started = Date()
            client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
            var sent = 0
            while sent < 100, Date().timeIntervalSince(started) < 3 {
                // Stop dribbling once the server has answered.
                var readable = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
                if poll(&readable, 1, 100) > 0 { break }
                if !client.send("x") { break }
                sent += 1
            }
            let response = client.readResponse()
            #expect(response?.status == 408)
            #expect(response?.header("Connection") == "close")
            #expect(client.isClosedByServer())
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed > 0.5 && elapsed < 2.5, "closed after \(elapsed) s")
            #expect(sent < 20)
        }
    }

    @Test func theRequestDeadlineIsThirtySecondsByDefault() {
        #expect(HTTPLimits.standard.requestDeadline == .seconds(30))
        #expect(HTTPLimits.standard.requestDeadline > HTTPLimits.standard.bodyIdle)
    }

    static let badRequests: [(String, String, Int)] = [
        ("CL with TE", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400),
        ("TE with CL", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("duplicate CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
        ("CL list", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\nabc", 400),
        ("non-digit CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3a\r\n\r\nabc", 400),
        ("signed CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400),
        ("empty CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length:\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX-A: one\r\n two\r\n\r\n", 400),
        ("obs-fold tab", "GET / HTTP/1.1\r\nHost: t\r\nX-A: one\r\n\ttwo\r\n\r\n", 400),
        ("bare CR in value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n", 400),
        ("bare CR line end", "GET / HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n", 400),
        ("bare LF", "GET / HTTP/1.1\nHost: t\n\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: t\r\n\r\n", 400),
        ("no colon", "GET / HTTP/1.1\r\nHost t\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\u{0}b\r\n\r\n", 400),
        ("missing version", "GET /\r\nHost: t\r\n\r\n", 400),
        ("double space", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("trailing space", "GET / HTTP/1.1 \r\nHost: t\r\n\r\n", 400),
        ("lowercase version", "GET / http/1.1\r\nHost: t\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 400),
        ("HTTP/1.2", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", 400),
        ("bad method byte", "G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("relative target", "GET index.html HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("bad percent in path", "GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("non-UTF-8 path", "GET /%C3%28 HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("chunked body", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 411),
        ("any TE", "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 411),
        ("POST without length", "POST / HTTP/1.1\r\nHost: t\r\n\r\n", 411),
    ]

    @Test(arguments: badRequests)
    func badInputIsRefusedAndClosed(_ name: String, _ raw: String, _ status: Int) throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            client.send(raw)
            let response = client.readResponse()
            #expect(response?.status == status, "\(name)")
            #expect(response?.header("Connection") == "close", "\(name)")
            #expect(client.isClosedByServer(), "\(name)")
        }
    }

    @Test func errorPageComesFromTheApp() throws {
        let page: @Sendable (Int) -> HTTPResponse = { .html($0, "<p>Errore \($0)</p>") }
        try withServer(errorPage: page) { server in
            let client = try TestClient(port: server.port)
            let response = client.exchange("POST / HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(response?.status == 411)
            #expect(response?.text == "<p>Errore 411</p>")
            #expect(response?.header("Content-Type") == "text/html; charset=utf-8")
        }
    }

    @Test func responseHeadersCannotBeSplit() throws {
        let responder = HTTPClosureResponder { _ in
            HTTPResponse(status: 303, headers: [("Location", "/x\r\nSet-Cookie: evil=1"), ("Content-Length", "999")])
        }
        try withServer(responder: responder) { server in
            let client = try TestClient(port: server.port)
            let response = try #require(client.exchange(get("/")))
            #expect(response.status == 303)
            #expect(response.header("Set-Cookie") == nil)
            #expect(response.header("Content-Length") == "0")
        }
    }

    @Test func connectionCapRefusesTheExcessCleanly() throws {
        var limits = fastLimits
        limits.maxConnections = 4
        try withServer(limits: limits) { server in
            var held: [TestClient] = []
            for i in 0..<4 {
                let client = try TestClient(port: server.port)
                #expect(client.exchange(get("/held\(i)"))?.status == 200)
                held.append(client)
            }
            let fifth = try TestClient(port: server.port)
            let refused = fifth.readResponse()
            #expect(refused?.status == 503)
            #expect(refused?.header("Connection") == "close")
            #expect(fifth.isClosedByServer())

            // Freeing a slot lets the server serve again.
            held.removeFirst()
            var served = false
            for _ in 0..<100 where !served {
                let client = try TestClient(port: server.port)
                if client.exchange(get("/again"))?.status == 200 { served = true } else { usleep(20_000) }
            }
            #expect(served)
            // The held connections still work.
            #expect(held[0].exchange(get("/still"))?.status == 200)
        }
    }

    @Test func oneAddressCannotHoldEveryConnection() throws {
        var limits = fastLimits
        limits.maxConnectionsPerAddress = 3
        try withServer(limits: limits) { server in
            let held = try (0..<3).map { _ in try TestClient(port: server.port) }
            for client in held { #expect(client.exchange(get("/held"))?.status == 200) }
            let fourth = try TestClient(port: server.port)
            let refused = fourth.readResponse()
            #expect(refused?.status == 429)
            #expect(refused?.header("Retry-After") == "1")
            #expect(fourth.isClosedByServer())
            #expect(held[2].exchange(get("/still"))?.status == 200)
        }
        // The reverse proxy's address is not capped.
        let server = HTTPServer(port: 0, limits: limits, responder: EchoResponder(), uncappedAddresses: ["127.0.0.1"])
        try server.start()
        defer { server.stop() }
        let clients = try (0..<10).map { _ in try TestClient(port: server.port) }
        for client in clients { #expect(client.exchange(get("/proxied"))?.status == 200) }
    }

    @Test func thousandsOfIdleConnectionsDoNotStarveAnActiveClient() throws {
        var limits = fastLimits
        limits.maxConnectionsPerAddress = 0  // all from 127.0.0.1 here
        try withServer(limits: limits) { server in
            // Half-sent heads, as a slowloris client leaves them: each holds a connection open.
            var idle: [TestClient] = []
            for index in 0..<1_500 {
                let client = try TestClient(port: server.port)
                client.send("GET /slow\(index) HTTP/1.1\r\nHost: t\r\n")
                idle.append(client)
            }
            let acceptDeadline = Date().addingTimeInterval(5)
            while server.connectionCount < 1_500, Date() < acceptDeadline { usleep(5_000) }
            #expect(server.connectionCount == 1_500)
            let active = try TestClient(port: server.port)
            let started = Date()
            for index in 0..<50 { #expect(active.exchange(get("/active\(index)"))?.status == 200) }
            #expect(Date().timeIntervalSince(started) < 2)
            // The slow ones are still served once they finish their head.
            #expect(idle[7].exchange("\r\n")?.text == "GET /slow7 q=-\n")
        }
    }

    @Test func clientVanishingMidBodyDoesNotHurtTheServer() throws {
        try withServer { server in
            for _ in 0..<20 {
                let client = try TestClient(port: server.port)
                client.send(
                    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 50000\r\n\r\n" + String(repeating: "z", count: 20000)
                )
                // deinit closes the socket mid-body (with unread data: a reset)
            }
            for _ in 0..<5 {
                let client = try TestClient(port: server.port)
                var linger = linger(l_onoff: 1, l_linger: 0)  // close with RST
                setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
                client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\nabc")
            }
            let client = try TestClient(port: server.port)
            #expect(client.exchange(get("/alive"))?.text == "GET /alive q=-\n")
        }
    }

    @Test func clientThatNeverReadsDoesNotBlockOthers() throws {
        let big = [UInt8](repeating: 65, count: 4 << 20)
        let responder = HTTPClosureResponder { _ in HTTPResponse(status: 200, body: big) }
        try withServer(limits: shortLimits, responder: responder) { server in
            let lazy = try TestClient(port: server.port)
            lazy.send(get("/big"))
            let other = try TestClient(port: server.port)
            #expect(other.exchange(get("/"))?.body.count == big.count)
            _ = lazy
        }
    }

    @Test func stopClosesIdleConnectionsAndReleasesThePort() throws {
        let server = HTTPServer(port: 0, limits: .standard, responder: EchoResponder())
        try server.start()
        let client = try TestClient(port: server.port)
        #expect(client.exchange(get("/"))?.status == 200)
        let started = Date()
        server.stop()
        #expect(Date().timeIntervalSince(started) < 1.5)
        #expect(client.isClosedByServer())
        #expect(server.connectionCount == 0)
        #expect(throws: (any Error).self) { try TestClient(port: server.port) }
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }

    @Test func remoteAddressAndHeadersReachTheResponder() throws {
        let responder = HTTPClosureResponder { request in
            .text(
                200,
                "\(request.remoteAddress)|\(request.headers["x-multi"] ?? "")|\(request.headers.values("X-Multi").joined(separator: ","))|\(request.cookies["sid"] ?? "")|\(request.version)"
            )
        }
        try withServer(responder: responder) { server in
            let client = try TestClient(port: server.port)
            let response = client.exchange(get("/", "X-Multi: one\r\nx-multi:  two \r\nCookie: a=1; sid=\"abc\"\r\n"))
            #expect(response?.text == "127.0.0.1|one|one,two|abc|HTTP/1.1")
        }
    }

    @Test func absoluteFormTargetIsAccepted() throws {
        try withServer { server in
            let client = try TestClient(port: server.port)
            #expect(
                client.exchange("GET http://example.org/p%20q?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n")?.text
                    == "GET /p q q=x=1\n")
        }
    }

    @Test func startFailsOnAPortInUse() throws {
        try withServer { server in
            let second = HTTPServer(port: server.port, responder: EchoResponder())
            #expect(throws: HTTPServerError.self) { try second.start() }
            #expect(throws: HTTPServerError.invalidAddress("nowhere")) {
                try HTTPServer(host: "nowhere", port: 0, responder: EchoResponder()).start()
            }
        }
    }
}
