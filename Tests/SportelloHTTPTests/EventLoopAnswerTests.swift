import Dispatch
import Foundation
import Testing

@testable import SportelloHTTP

/// Holds every request sent to a worker until released; answers `/static/…` on the event loop.
private final class BusyWorkersResponder: HTTPResponder, @unchecked Sendable {
    let gate = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)

    func respond(to request: HTTPRequest) -> HTTPResponse {
        if !answersOnEventLoop(request) {
            started.signal()
            gate.wait()
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array(request.path.utf8))
    }

    func answersOnEventLoop(_ request: HTTPRequest) -> Bool { request.path.hasPrefix("/static/") }
}

@Suite struct EventLoopAnswerTests {
    @Test func staticAnswersDoNotWaitForABusyWorker() throws {
        var limits = fastLimits
        limits.workers = 1
        let responder = BusyWorkersResponder()
        try withServer(limits: limits, responder: responder) { server in
            let busy = try TestClient(port: server.port)
            #expect(busy.send(get("/api/slow")))
            responder.started.wait()
            // The only worker is held: a page is still answered, twice on one connection, then pipelined.
            let reader = try TestClient(port: server.port)
            #expect(reader.exchange(get("/static/a"))?.text == "/static/a")
            #expect(reader.exchange(get("/static/b"))?.text == "/static/b")
            #expect(reader.send(get("/static/c") + get("/static/d")))
            #expect(reader.readResponse()?.text == "/static/c")
            #expect(reader.readResponse()?.text == "/static/d")
            responder.gate.signal()
            #expect(busy.readResponse()?.text == "/api/slow")
        }
    }

    /// A request being answered keeps the connection in the epoll set: bytes and an end of stream that arrive
    /// meanwhile (the next request, then a half-close) wait in the socket and are answered in order after it.
    @Test func bytesArrivingWhileAWorkerAnswersAreAnsweredAfterIt() throws {
        var limits = fastLimits
        limits.workers = 1
        let responder = BusyWorkersResponder()
        try withServer(limits: limits, responder: responder) { server in
            let client = try TestClient(port: server.port)
            #expect(client.send(get("/api/one")))
            responder.started.wait()
            #expect(client.send(get("/api/two")))
            client.shutdownWrite()
            usleep(100_000)  // the loop sees the bytes and the end of stream while the worker holds the first
            responder.gate.signal()
            #expect(client.readResponse()?.text == "/api/one")
            responder.started.wait()
            responder.gate.signal()
            #expect(client.readResponse()?.text == "/api/two")
            #expect(client.isClosedByServer())
        }
    }
}

@Suite struct EventLoopsTests {
    @Test func theCapsHoldAcrossEveryLoop() throws {
        var limits = fastLimits
        limits.eventLoops = 4
        limits.maxConnections = 6
        limits.maxConnectionsPerAddress = 0
        try withServer(limits: limits) { server in
            // Each connection lands on one of four loops; the cap is the server's, not each loop's.
            let held = try (0..<6).map { index -> TestClient in
                let client = try TestClient(port: server.port)
                #expect(client.exchange(get("/held\(index)"))?.status == 200)
                return client
            }
            #expect(server.connectionCount == 6)
            let seventh = try TestClient(port: server.port)
            #expect(seventh.readResponse()?.status == 503)
            for (index, client) in held.enumerated() {
                #expect(client.exchange(get("/still\(index)"))?.status == 200)
            }
        }
    }
}
