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

    /// POSTs a form asking for JSON; returns the status and body. The answer is read as bytes (no Foundation
    /// search, no regular expression): the clients share the cores with the server they measure, and their CPU
    /// is counted in the bench's "CPU per booking".
    func post(_ path: String, _ form: String) -> (Int, String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + path.utf8.count + form.utf8.count)
        bytes += "POST ".utf8
        bytes += path.utf8
        bytes += Self.fixedHead
        bytes += String(form.utf8.count).utf8
        bytes += "\r\n\r\n".utf8
        bytes += form.utf8
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return (-1, "") }
            sent += n
        }
        while true {
            if let end = headerEnd(), let length = contentLength(end), buffer.count >= end + length {
                let status = Self.status(buffer[..<end])
                let body = String(decoding: buffer[end..<(end + length)], as: UTF8.self)
                buffer.removeFirst(end + length)
                return (status, body)
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (-1, "") }
            buffer += chunk[..<n]
        }
    }

    private var chunk = [UInt8](repeating: 0, count: 65_536)

    private static let fixedHead = Array(
        """
         HTTP/1.1\r
        Host: 127.0.0.1\r
        Accept: application/json\r
        Content-Type: application/x-www-form-urlencoded\r
        Content-Length:\u{20}
        """.utf8)

    /// The status code of a status line (`HTTP/1.1 201 Created`), or -1.
    private static func status(_ head: ArraySlice<UInt8>) -> Int {
        guard let space = head.firstIndex(of: UInt8(ascii: " ")) else { return -1 }
        var code = 0
        var index = space + 1
        while index < head.endIndex, (0x30...0x39).contains(head[index]) {
            code = code * 10 + Int(head[index] - 0x30)
            index += 1
        }
        return index == space + 1 ? -1 : code
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    private static let contentLengthName = Array("\r\ncontent-length:".utf8)

    private func contentLength(_ end: Int) -> Int? {
        let name = Self.contentLengthName
        var start = 0
        while start + name.count <= end {
            var matches = true
            for offset in 0..<name.count {
                let byte = buffer[start + offset]
                if (byte >= 65 && byte <= 90 ? byte | 0x20 : byte) != name[offset] {
                    matches = false
                    break
                }
            }
            if matches {
                var index = start + name.count
                while index < end, buffer[index] == 0x20 || buffer[index] == 0x09 { index += 1 }
                var length = 0
                let first = index
                while index < end, (0x30...0x39).contains(buffer[index]) {
                    length = length * 10 + Int(buffer[index] - 0x30)
                    index += 1
                }
                return index == first ? nil : length
            }
            start += 1
        }
        return nil
    }

    /// The first 32 lowercase hexadecimal digits in a row in `text` (a hold's token in its JSON answer).
    static func holdToken(in text: String) -> Substring? {
        var run = 0
        var index = text.utf8.startIndex
        while index != text.utf8.endIndex {
            let byte = text.utf8[index]
            run = (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) ? run + 1 : 0
            index = text.utf8.index(after: index)
            if run == 32 { return text[text.utf8.index(index, offsetBy: -32)..<index] }
        }
        return nil
    }
}
