import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#endif

/// A small SMTP server on 127.0.0.1 for the tests and the bench, standing for the local MTA: it answers EHLO
/// (with PIPELINING unless told otherwise, over several lines), takes MAIL, RCPT (refusing any recipient whose
/// address starts with "unknown"), DATA, RSET, NOOP and QUIT, and
/// keeps every message it accepted, counted by Message-ID. What it answers to each message's final "." is up to
/// `decide` (accept, refuse with a code, or drop the connection). A thread per connection.
public final class SMTPSink: @unchecked Sendable {
    // @unchecked: the mutable state is only touched while `state` is held.
    /// What the sink does at a message's final ".".
    public enum Decision: Sendable {
        /// "250 queued": the message counts as received.
        case accept
        /// This reply instead (e.g. "451 4.3.0 try later", "550 5.1.1 no such user"); nothing is kept.
        case reply(String)
        /// The connection is closed without a reply: the client cannot know whether the message was taken (it is
        /// kept, as an MTA that had queued it would).
        case dropAfterDot
    }

    /// The port it listens on.
    public let port: Int
    /// The address to configure: "127.0.0.1:<port>".
    public var address: String { "127.0.0.1:\(port)" }
    private let listener: Int32
    private let pipelining: Bool
    private let refusesEHLO: Bool
    private let keepsMessages: Bool
    private let decide: @Sendable (_ messageID: String, _ seen: Int) -> Decision
    private let state = NSLock()
    private var byMessageID: [String: Int] = [:]
    private var texts: [String] = []
    private var connections = 0
    private var commands: [String] = []
    private var last: Double = 0
    private var reads = 0
    private var stopped = false

    /// Listens on a free port. `pipelining`: whether EHLO offers it; `refusesEHLO`: an old server that only
    /// knows HELO; `keepsMessages`: whether `messages` keeps every text (a bench sending thousands only counts
    /// their Message-IDs); `decide`: the answer to a message given its Message-ID and how many times it was
    /// seen before.
    public init(
        pipelining: Bool = true, refusesEHLO: Bool = false, keepsMessages: Bool = true,
        decide: @escaping @Sendable (_ messageID: String, _ seen: Int) -> Decision = { _, _ in .accept }
    ) throws {
        self.pipelining = pipelining
        self.refusesEHLO = refusesEHLO
        self.keepsMessages = keepsMessages
        self.decide = decide
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 128) == 0 else {
            close(listener)
            throw CocoaError(.fileWriteUnknown)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting connections (those open are served until their client ends them).
    public func stop() {
        state.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Messages accepted, by Message-ID (without angle brackets): more than 1 is a duplicate.
    public var received: [String: Int] { state.withLock { byMessageID } }
    /// Every message accepted, as it arrived (dot-stuffing undone), in order; empty unless `keepsMessages`.
    public var messages: [String] { state.withLock { texts } }
    /// Connections opened so far.
    public var connectionCount: Int { state.withLock { connections } }
    /// Every command received (MAIL, RCPT, DATA, RSET, QUIT…), in order, across connections.
    public var commandLog: [String] { state.withLock { commands } }
    /// When the last message was accepted: seconds of CLOCK_MONOTONIC.
    public var lastMessageAt: Double { state.withLock { last } }
    /// Reads from the socket that were waiting for a command (not for a message's text): with PIPELINING one read
    /// brings a message's MAIL, RCPT and DATA together, without it one read brings each.
    public var commandReads: Int { state.withLock { reads } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                if state.withLock({ stopped }) { return }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            state.withLock { connections += 1 }
            let thread = Thread { [self] in serve(client) }
            thread.stackSize = 256 * 1_024
            thread.start()
        }
    }

    private func serve(_ socket: Int32) {
        defer { close(socket) }
        var buffer: [UInt8] = []
        var start = 0
        // One read buffer for the connection: a fresh 64 KiB array per read was most of the sink's own work.
        var chunk = [UInt8](repeating: 0, count: 64 * 1_024)
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // Replies wait until every command that arrived is answered, then go out in one write, as an MTA's do
        // (a write per reply would cost the client a wakeup per line).
        var replies: [UInt8] = []
        func flush() -> Bool {
            defer { replies.removeAll(keepingCapacity: true) }
            return replies.isEmpty
                || replies.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    == replies.count
        }
        func line(command: Bool = false) -> [UInt8]? {
            while true {
                if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let found = Array(buffer[start..<end])
                    start = newline + 1
                    return found
                }
                if start > 0 {
                    buffer.removeFirst(start)
                    start = 0
                }
                guard flush() else { return nil }
                if command { state.withLock { reads += 1 } }
                guard fill() else { return nil }
            }
        }
        func fill() -> Bool {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer += chunk[0..<count]
            return true
        }
        // A message's text up to its final ".", dot-stuffing undone, lines joined by CRLF: read in place from the
        // buffer, as an MTA spools it, without a String or an array per line.
        func messageText() -> [UInt8]? {
            var message: [UInt8] = []
            var first = true
            while true {
                guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                    if start > 0 {
                        buffer.removeFirst(start)
                        start = 0
                    }
                    guard flush(), fill() else { return nil }
                    continue
                }
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let lineStart = start
                start = newline + 1
                if end - lineStart == 1 && buffer[lineStart] == UInt8(ascii: ".") { return message }
                if !first { message += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
                first = false
                let from = end > lineStart && buffer[lineStart] == UInt8(ascii: ".") ? lineStart + 1 : lineStart
                message += buffer[from..<end]
            }
        }
        func say(_ text: String) -> Bool {
            replies += Array((text + "\r\n").utf8)
            return true
        }
        guard say("220 sink.test ESMTP") else { return }
        var recipients = 0
        var sender = false
        while let command = line(command: true) {
            let text = String(decoding: command, as: UTF8.self)
            let verb = text.prefix { $0 != " " && $0 != ":" }.uppercased()
            state.withLock { commands.append(verb) }
            var answer: String
            switch verb {
            case "EHLO":
                if refusesEHLO {
                    answer = "502 5.5.2 command not recognised"
                } else {
                    answer =
                        "250-sink.test greets you\r\n" + (pipelining ? "250-PIPELINING\r\n" : "")
                        + "250-8BITMIME\r\n250 SIZE 10240000"
                }
            case "HELO": answer = "250 sink.test"
            case "MAIL":
                sender = true
                recipients = 0
                answer = "250 2.1.0 ok"
            case "RCPT":
                if text.lowercased().contains("<unknown") {
                    answer = "550 5.1.1 unknown user"
                } else if sender {
                    recipients += 1
                    answer = "250 2.1.5 ok"
                } else {
                    answer = "503 5.5.1 MAIL first"
                }
            case "RSET", "NOOP":
                sender = false
                recipients = 0
                answer = "250 2.0.0 ok"
            case "QUIT":
                _ = say("221 2.0.0 bye")
                _ = flush()
                return
            case "DATA":
                guard sender && recipients > 0 else {
                    answer = "554 5.5.1 no valid recipients"
                    break
                }
                _ = say("354 go ahead")
                guard let text = messageText() else { return }
                sender = false
                let message = keepsMessages ? String(decoding: text, as: UTF8.self) : nil
                let id = Self.messageID(in: text)
                let seen = state.withLock { byMessageID[id] ?? 0 }
                switch decide(id, seen) {
                case .accept:
                    keep(id, message)
                    answer = "250 2.0.0 queued"
                case .reply(let words):
                    answer = words
                case .dropAfterDot:
                    keep(id, message)
                    replies.removeAll()
                    return
                }
            default:
                answer = "500 5.5.1 unknown command"
            }
            guard say(answer) else { return }
        }
    }

    /// The Message-ID header's value (without angle brackets) among the headers of `message`; "" when none.
    static func messageID(in message: [UInt8]) -> String {
        let name = Array("message-id:".utf8)
        var lineStart = 0
        while lineStart < message.count {
            let lineEnd = message[lineStart...].firstIndex(of: UInt8(ascii: "\r")) ?? message.count
            if lineEnd == lineStart { return "" }  // the blank line: the headers are over
            if lineEnd - lineStart >= name.count
                && zip(message[lineStart..<lineStart + name.count], name).allSatisfy({ $0 | 0x20 == $1 | 0x20 })
            {
                let value = String(decoding: message[(lineStart + name.count)..<lineEnd], as: UTF8.self)
                return value.trimmingCharacters(in: CharacterSet(charactersIn: " <>"))
            }
            lineStart = lineEnd + 2
        }
        return ""
    }

    private func keep(_ id: String, _ message: String?) {
        state.withLock {
            byMessageID[id, default: 0] += 1
            if let message { texts.append(message) }
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            last = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
    }
}
