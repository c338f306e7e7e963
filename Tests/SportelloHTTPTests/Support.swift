import Foundation
import Glibc

@testable import SportelloHTTP

/// Deadlines long enough that a busy machine never trips them by accident (`stop()` ends idle
/// connections at once, so they cost nothing).
let fastLimits = HTTPLimits(
    headerDeadline: .seconds(5), bodyIdle: .seconds(5), keepAliveIdle: .seconds(5), sendIdle: .seconds(5))

/// Short deadlines for the tests about deadlines: no test ever waits 10 s.
let shortLimits = HTTPLimits(
    headerDeadline: .milliseconds(300), bodyIdle: .milliseconds(300),
    keepAliveIdle: .milliseconds(300), sendIdle: .milliseconds(300))

/// Echoes method, path, query and body; tells the client the method so HEAD can be framed.
struct EchoResponder: HTTPResponder {
    func respond(to request: HTTPRequest) -> HTTPResponse {
        var body = Array("\(request.method) \(request.path) q=\(request.query ?? "-")\n".utf8)
        body += request.body
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/plain"), ("X-Method", request.method)], body: body)
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func withServer<T>(
    limits: HTTPLimits = fastLimits, responder: any HTTPResponder = EchoResponder(),
    errorPage: (@Sendable (Int) -> HTTPResponse)? = nil,
    _ body: (HTTPServer) throws -> T
) throws -> T {
    let server = HTTPServer(port: 0, limits: limits, responder: responder, errorPage: errorPage)
    try server.start()
    defer { server.stop() }
    return try body(server)
}

struct TestResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A raw TCP client: writes bytes, reads raw responses.
final class TestClient {
    let fd: Int32
    private var pending: [UInt8] = []
    private(set) var sawEOF = false

    init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw TestError("connect errno \(errno)")
        }
    }

    deinit { close(fd) }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard let base = raw.baseAddress else { return true }
                let n = Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; false on EOF, reset or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            pending += chunk[0..<n]
            return true
        }
        if n == 0 || errno == ECONNRESET { sawEOF = true }
        return false
    }

    /// Reads one response; `head` for HEAD requests (no body expected). Nil if the stream ends first.
    func readResponse(head: Bool = false) -> TestResponse? {
        var end: Int?
        while true {
            if let range = findCRLFCRLF(pending) {
                end = range
                break
            }
            guard fill() else { return nil }
        }
        guard let headEnd = end else { return nil }
        let headText = String(decoding: pending[0..<headEnd], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else { return nil }
        var headers: [(String, String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let response = TestResponse(status: status, headers: headers, body: [])
        var length = Int(response.header("Content-Length") ?? "0") ?? 0
        if head || status == 304 || status == 204 || status < 200 || response.header("X-Method") == "HEAD" {
            length = 0
        }
        let bodyStart = headEnd + 4
        while pending.count < bodyStart + length {
            guard fill() else { return nil }
        }
        let body = Array(pending[bodyStart..<(bodyStart + length)])
        pending.removeSubrange(0..<(bodyStart + length))
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Sends a request and reads its response.
    func exchange(_ text: String, head: Bool = false) -> TestResponse? {
        guard send(text) else { return nil }
        return readResponse(head: head)
    }

    /// True when the server closed (EOF/reset) with nothing more to read.
    func isClosedByServer() -> Bool {
        if !pending.isEmpty { return false }
        if sawEOF { return true }
        while fill() {}
        return sawEOF && pending.isEmpty
    }

    /// Everything until EOF (or timeout).
    func readToEOF() -> [UInt8] {
        while fill() {}
        defer { pending = [] }
        return pending
    }
}

func findCRLFCRLF(_ bytes: [UInt8], from start: Int = 0) -> Int? {
    guard bytes.count >= start + 4 else { return nil }
    var i = start
    while i + 3 < bytes.count {
        if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i }
        i += 1
    }
    return nil
}

func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: test\r\n\(extra)\r\n"
}

/// A temporary directory removed at the end.
final class TempDirectory {
    let path: String
    init() throws {
        var template = Array((NSTemporaryDirectory() + "/sportello-http-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestError("mkdtemp") }
        path = String(cString: made)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ relative: String, _ contents: String, modified: Date? = nil) throws {
        try write(relative, Array(contents.utf8), modified: modified)
    }

    func write(_ relative: String, _ bytes: [UInt8], modified: Date? = nil) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        if let modified { try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: full) }
    }
}
