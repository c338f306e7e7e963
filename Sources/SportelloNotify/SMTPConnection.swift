import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to an SMTP server, every connect, read and write bounded by `timeout` (seconds, not
/// RFC 5321's minutes: a hand-over must not hold the courier for ten minutes on a stuck MTA).
final class SMTPConnection {
    private let socket: Int32
    private let timeout: TimeInterval
    private var buffer: [UInt8] = []
    private var start = 0
    /// Reused for every read (a new array per read was one more allocation per reply).
    private var chunk = [UInt8](repeating: 0, count: 16 * 1_024)

    /// Longest reply line accepted (RFC 5321 §4.5.3.1.5 allows 512 bytes; servers write longer ones).
    static let maxLine = 8 * 1_024

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to the first of the address's resolutions that answers within `timeout`.
    init(to address: SMTPServerAddress, timeout: TimeInterval) throws {
        self.timeout = timeout
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw Failure(description: "cannot resolve \(address.host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let candidate = Glibc.socket(
                current.pointee.ai_family, current.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                current.pointee.ai_protocol)
            guard candidate >= 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            if let error = Self.connect(candidate, current.pointee.ai_addr, current.pointee.ai_addrlen, timeout) {
                lastError = error
                Glibc.close(candidate)
                continue
            }
            var one: Int32 = 1
            // Small commands go out at once: Nagle would hold a pipelined group behind the previous one's ACK.
            setsockopt(candidate, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
            setsockopt(candidate, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            socket = candidate
            return
        }
        throw Failure(description: "cannot connect to \(address): \(lastError)")
    }

    /// nil when connected; otherwise why not.
    private static func connect(
        _ socket: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, _ timeout: TimeInterval
    ) -> String? {
        let flags = fcntl(socket, F_GETFL)
        _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(socket, F_SETFL, flags) }
        if Glibc.connect(socket, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var entry = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        guard poll(&entry, 1, Int32(timeout * 1000)) == 1 else { return "no answer in \(Int(timeout)) s" }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? nil : String(cString: strerror(error))
    }

    deinit { Glibc.close(socket) }

    /// Writes all of `bytes`; false when the connection is gone or the write timed out (`SO_SNDTIMEO`).
    func write(_ bytes: [UInt8]) -> Bool { CourierFrame.send(bytes, to: socket) }

    /// Writes `bytes`; how many were written before the connection ended or the write timed out.
    func written(_ bytes: [UInt8]) -> Int { CourierFrame.sent(bytes, to: socket) }

    /// The next reply, its continuation lines gathered; nil when the connection ended, timed out or sent
    /// something that is not a reply.
    func readReply() -> SMTPReply? {
        var lines: [String] = []
        while true {
            guard let line = readLine(), let parsed = SMTPReply.parse(line: line) else { return nil }
            lines.append(parsed.text)
            if !parsed.more { return SMTPReply(code: parsed.code, lines: lines) }
        }
    }

    /// Whether the server has closed the connection or said something unasked (a 421 before closing): an idle
    /// connection in either state is not worth a message.
    var isStale: Bool {
        if start < buffer.count { return true }
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) != 0
    }

    private func readLine() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = Array(buffer[start..<end])
                start = newline + 1
                return line
            }
            guard buffer.count - start <= Self.maxLine, fill() else { return nil }
        }
    }

    /// Reads what has arrived, waiting at most `timeout`; false at the end, on an error or on the timeout.
    private func fill() -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            let ready = poll(&entry, 1, Int32(left * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
    }
}
