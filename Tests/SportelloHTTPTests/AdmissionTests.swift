import Dispatch
import Foundation
import Testing

@testable import SportelloHTTP

/// Holds every request until released, so the test controls how many wait for a worker.
private final class GateResponder: HTTPResponder, @unchecked Sendable {
    let gate = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)

    func respond(to request: HTTPRequest) -> HTTPResponse {
        started.signal()
        gate.wait()
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
    }

    func completesAdmittedWork(method: String, path: String) -> Bool { path == "/finish" }
}

@Suite struct AdmissionTests {
    @Test func pastTheQueueBoundARequestIsToldToComeBackAtOnce() throws {
        var limits = fastLimits
        limits.workers = 1
        limits.maxQueuedRequests = 2
        let responder = GateResponder()
        try withServer(limits: limits, responder: responder) { server in
            // One request in the worker, two waiting: the queue is full.
            let running = try TestClient(port: server.port)
            #expect(running.send(get("/running")))
            responder.started.wait()
            let waiting = try (0..<2).map { _ in try TestClient(port: server.port) }
            for client in waiting { #expect(client.send(get("/waiting"))) }
            usleep(200_000)
            // The next one does not queue: 503 with Retry-After, answered while the worker is still busy.
            let refused = try TestClient(port: server.port)
            let answer = refused.exchange(get("/refused"))
            #expect(answer?.status == 503)
            #expect(answer?.header("Retry-After") == "1")
            // A request finishing admitted work is queued all the same.
            let finishing = try TestClient(port: server.port)
            #expect(finishing.send(get("/finish")))
            usleep(100_000)
            // The admitted ones are all served once the worker moves on.
            for _ in 0..<4 { responder.gate.signal() }
            #expect(running.readResponse()?.status == 200)
            for client in waiting { #expect(client.readResponse()?.status == 200) }
            #expect(finishing.readResponse()?.status == 200)
            // With room again, requests are queued and served.
            responder.gate.signal()
            #expect(try TestClient(port: server.port).exchange(get("/again"))?.status == 200)
        }
    }
}
