import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The frames between the server and its courier process, over one Unix stream socket: a header line of decimal
/// numbers and letters separated by spaces, then the bytes whose lengths the header gives.
///
/// - request: `<tag> <id> <body length> <length of each argument…>`, the arguments, the message;
/// - reply: `<tag> <d|f|i|n> <text length>`, the text (what a failed program said).
///
/// The tag matches a reply to its request (a message asked about twice has two), so a late reply to a request
/// the server stopped waiting for is dropped instead of answering a newer one.
enum CourierFrame {
    /// One hand-over asked of the courier.
    struct Request: Equatable {
        let tag: UInt64
        let id: Int64
        let command: [String]
        let body: [UInt8]
    }

    /// The courier's answer to a request.
    struct Reply: Equatable {
        let tag: UInt64
        let outcome: Courier.Outcome
    }

    static func encode(_ request: Request) -> [UInt8] {
        let arguments = request.command.map { Array($0.utf8) }
        let header =
            ([String(request.tag), String(request.id), String(request.body.count)]
            + arguments.map { String($0.count) }).joined(separator: " ") + "\n"
        var frame: [UInt8] = []
        frame.reserveCapacity(header.utf8.count + arguments.reduce(0) { $0 + $1.count } + request.body.count)
        frame += header.utf8
        for argument in arguments { frame += argument }
        frame += request.body
        return frame
    }

    static func encode(_ reply: Reply) -> [UInt8] {
        let (letter, text): (String, String) =
            switch reply.outcome {
            case .delivered: ("d", "")
            case .failed(let error): ("f", error)
            case .inFlight: ("i", "")
            case .notHandedOver: ("n", "")
            }
        let words = Array(text.utf8)
        return Array("\(reply.tag) \(letter) \(words.count)\n".utf8) + words
    }

    /// The next request on `reader`; nil at the end of the stream or on a frame no server writes.
    static func readRequest(_ reader: FrameReader) -> Request? {
        guard let fields = reader.headerFields(), fields.count >= 3, let tag = UInt64(fields[0]),
            let id = Int64(fields[1]), let bodyLength = Int(fields[2]), bodyLength >= 0
        else { return nil }
        var command: [String] = []
        for field in fields.dropFirst(3) {
            guard let length = Int(field), length >= 0, let bytes = reader.bytes(length) else { return nil }
            command.append(String(decoding: bytes, as: UTF8.self))
        }
        guard let body = reader.bytes(bodyLength) else { return nil }
        return Request(tag: tag, id: id, command: command, body: body)
    }

    /// The next reply on `reader`; nil at the end of the stream or on a frame no courier writes.
    static func readReply(_ reader: FrameReader) -> Reply? {
        guard let fields = reader.headerFields(), fields.count == 3, let tag = UInt64(fields[0]),
            let length = Int(fields[2]), length >= 0, let text = reader.bytes(length)
        else { return nil }
        let outcome: Courier.Outcome
        switch fields[1] {
        case "d": outcome = .delivered
        case "f": outcome = .failed(String(decoding: text, as: UTF8.self))
        case "i": outcome = .inFlight
        case "n": outcome = .notHandedOver
        default: return nil
        }
        return Reply(tag: tag, outcome: outcome)
    }

    /// Writes all of `bytes` to a socket; false when the other end is gone. `MSG_NOSIGNAL`: a closed peer is
    /// an error to handle, not a SIGPIPE that ends the process.
    static func send(_ bytes: [UInt8], to socket: Int32) -> Bool { sent(bytes, to: socket) == bytes.count }

    /// Writes `bytes` to a socket until all are written or the other end is gone; how many were written (what a
    /// reader at the other end may have read).
    static func sent(_ bytes: [UInt8], to socket: Int32) -> Int {
        var sent = 0
        while sent < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.send(socket, $0.baseAddress.map { $0 + sent }, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return sent }
            sent += result
        }
        return sent
    }
}

/// Buffered reading of frames from a descriptor (one reader per descriptor, on one thread).
final class FrameReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Reused for every read: a new 64 KiB array per read cost more than the frames it carried.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1_024)

    /// Longest header line accepted: a longer one is not a frame.
    static let maxHeader = 64 * 1_024

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Reads more into the buffer; false at the end of the stream or on an error.
    private func fill() -> Bool {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
    }

    /// The next line's space-separated fields; nil at the end of the stream or past `maxHeader`.
    func headerFields() -> [String]? {
        // How far past `start` the line end was already looked for (filling moves `start` to 0).
        var scanned = 0
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[start..<newline], as: UTF8.self)
                start = newline + 1
                return line.split(separator: " ").map(String.init)
            }
            scanned = buffer.count - start
            guard scanned <= Self.maxHeader, fill() else { return nil }
        }
    }

    /// Exactly `count` bytes; nil when the stream ends first.
    func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            guard fill() else { return nil }
        }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }
}
