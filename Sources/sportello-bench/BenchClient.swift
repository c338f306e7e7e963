import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting
import Synchronization

/// A minimal keep-alive HTTP/1.1 client over a blocking socket: enough to measure the endpoint.
final class BenchClient {
    let fd: Int32
    let connected: Bool
    var buffer: [UInt8] = []

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let socketFD = fd
        connected =
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            } == 0
    }

    deinit { close(fd) }

    /// True when something accepts connections on the loopback port.
    static func canConnect(port: Int) -> Bool {
        let client = BenchClient(port: port)
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(client.fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return client.connected && error == 0
    }

    /// POSTs a form asking for JSON; returns the status and body.
    func post(_ path: String, _ form: String) -> (Int, String) {
        let request =
            """
            POST \(path) HTTP/1.1\r
            Host: 127.0.0.1\r
            Accept: application/json\r
            Content-Type: application/x-www-form-urlencoded\r
            Content-Length: \(form.utf8.count)\r
            \r
            \(form)
            """
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return (-1, "") }
            sent += n
        }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            if let end = headerEnd(), let length = contentLength(end), buffer.count >= end + length {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let body = String(decoding: buffer[end..<(end + length)], as: UTF8.self)
                buffer.removeFirst(end + length)
                return (Int(head.split(separator: " ")[1]) ?? -1, body)
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return (-1, "") }
            buffer += chunk[..<n]
        }
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    private func contentLength(_ end: Int) -> Int? {
        let head = String(decoding: buffer[..<end], as: UTF8.self).lowercased()
        guard let range = head.range(of: "content-length: ") else { return nil }
        return Int(head[range.upperBound...].prefix { $0.isNumber })
    }
}
