import Foundation
import SportelloCore

/// Speaks SMTP (RFC 5321) to one server over one long-lived connection: EHLO (HELO when refused), PIPELINING
/// (RFC 2920) when offered, so a message costs one round trip (its text and final "." go out with the next
/// message's MAIL, RCPT and DATA), RSET after a refused message, QUIT when idle, a new connection when the
/// old one dropped. No TLS, no AUTH: it is meant for a local MTA that relays (README "Notifications").
/// Used by one thread at a time (the courier's `SMTPSender`).
final class SMTPClient {
    /// What became of one message.
    enum Result: Equatable {
        /// The server took the message (2xx after the final ".").
        case accepted(SMTPReply)
        /// Refused at MAIL, RCPT, DATA or after the "." (4xx: try again later; 5xx: for good).
        case refused(SMTPReply)
        /// Its final "." never left: nothing was delivered, safe to send again.
        case notSent(String)
        /// Its final "." left and the connection ended before the reply: it may or may not have been taken.
        case uncertain(String)
    }

    let address: SMTPServerAddress
    let timeout: TimeInterval
    /// The name this client gives in EHLO.
    let heloName: String
    private var connection: SMTPConnection?
    private var pipelining = false
    private var eightBitMIME = false
    private var smtpUTF8 = false

    /// A client of `address`; nothing is opened until the first message.
    init(address: SMTPServerAddress, timeout: TimeInterval = 20, heloName: String = SMTPClient.hostName) {
        self.address = address
        self.timeout = timeout
        self.heloName = heloName
    }

    /// This machine's name for EHLO.
    static let hostName: String = {
        let name = ProcessInfo.processInfo.hostName
        return name.isEmpty || !SMTPEnvelope.isSafe(name) ? "localhost" : name
    }()

    var isConnected: Bool { connection != nil }

    /// Connects, reads the greeting and introduces itself.
    private func open() throws {
        connection = nil
        let opened = try SMTPConnection(to: address, timeout: timeout)
        guard let greeting = opened.readReply() else {
            throw SMTPConnection.Failure(description: "\(address) sent no greeting")
        }
        guard greeting.code == 220 else {
            throw SMTPConnection.Failure(description: "\(address) refused the connection: \(greeting.words)")
        }
        guard opened.write(Array("EHLO \(heloName)\r\n".utf8)), let hello = opened.readReply() else {
            throw SMTPConnection.Failure(description: "\(address) closed the connection after the greeting")
        }
        var extensions: Set<String> = []
        if hello.code == 250 {
            for line in hello.lines.dropFirst() {
                extensions.insert(String(line.prefix { $0 != " " }).uppercased())
            }
        } else {
            // A server of before RFC 1869: HELO, no extensions.
            guard opened.write(Array("HELO \(heloName)\r\n".utf8)), let helo = opened.readReply() else {
                throw SMTPConnection.Failure(description: "\(address) closed the connection after EHLO")
            }
            guard helo.code == 250 else {
                throw SMTPConnection.Failure(description: "\(address) refused HELO: \(helo.words)")
            }
        }
        pipelining = extensions.contains("PIPELINING")
        eightBitMIME = extensions.contains("8BITMIME")
        smtpUTF8 = extensions.contains("SMTPUTF8")
        connection = opened
    }

    /// Ends the session politely (QUIT) and closes the connection; the next message opens a new one.
    func quit() {
        guard let current = connection else { return }
        connection = nil
        if current.write(Array("QUIT\r\n".utf8)) { _ = current.readReply() }
    }

    /// Connections opened for one batch at most: one broken connection is retried, a server that keeps dropping
    /// them is not.
    static let opensPerBatch = 3

    /// Sends `envelopes` in order; one result each. A connection lost in the middle is replaced and the messages
    /// whose "." had not left are sent on the new one. With PIPELINING a message's text and "." go out in one
    /// write with the next message's MAIL, RCPT and DATA.
    func send(_ envelopes: [SMTPEnvelope]) -> [Result] {
        var results = [Result?](repeating: nil, count: envelopes.count)
        var index = 0
        var opens = 0
        var lastProblem = ""
        // The message whose "." went out and whose reply has not been read (pipelining reads it with the next
        // message's replies).
        var awaitingDot: Int?
        // The message whose MAIL, RCPT and DATA already went out with the previous message's text.
        var opened: Int?
        func lose(_ problem: String) {
            lastProblem = problem
            if let dot = awaitingDot { results[dot] = .uncertain(problem) }
            awaitingDot = nil
            opened = nil
            connection = nil
        }
        func settleDot(_ reply: SMTPReply) {
            guard let dot = awaitingDot else { return }
            results[dot] = reply.isPositive ? .accepted(reply) : .refused(reply)
            awaitingDot = nil
        }
        while index < envelopes.count {
            let envelope = envelopes[index]
            guard SMTPEnvelope.isSafe(envelope.sender), SMTPEnvelope.isSafe(envelope.recipient) else {
                results[index] = .refused(SMTPReply(code: 553, lines: ["not a usable mail address"]))
                index += 1
                continue
            }
            if connection == nil || (awaitingDot == nil && connection?.isStale == true) {
                guard opens < Self.opensPerBatch else { break }
                opens += 1
                do { try open() } catch {
                    lastProblem = "\(error)"
                    connection = nil
                    continue
                }
            }
            guard let current = connection else { continue }
            if envelope.hasUTF8Address && !smtpUTF8 {
                results[index] = .refused(
                    SMTPReply(code: 553, lines: ["the mail server does not take addresses that are not ASCII"]))
                index += 1
                continue
            }
            let alreadyOpened = opened == index
            opened = nil
            // MAIL, RCPT and DATA: three replies.
            let commands = alreadyOpened ? [] : self.commands(envelope)
            let commandCount = 3
            var replies: [SMTPReply] = []
            if pipelining {
                guard alreadyOpened || current.write(Array(commands.joined())) else {
                    lose("the connection to \(address) ended")
                    continue
                }
                if awaitingDot != nil {
                    guard let reply = current.readReply() else {
                        lose("the connection to \(address) ended before it confirmed the message")
                        continue
                    }
                    settleDot(reply)
                }
                for _ in 0..<commandCount {
                    guard let reply = current.readReply() else { break }
                    replies.append(reply)
                }
            } else {
                for command in commands {
                    guard current.write(command), let reply = current.readReply() else { break }
                    replies.append(reply)
                    if !(reply.isPositive || reply.code == 354) { break }
                }
            }
            if let refused = replies.first(where: { !$0.isPositive && $0.code != 354 }) {
                results[index] = .refused(refused)
                index += 1
                if replies.contains(where: { $0.code == 354 }) || replies.count < commandCount && pipelining {
                    // Go ahead to DATA after a refused recipient (the message would be empty or go to nobody), or
                    // a connection lost among the replies: dropping it abandons the transaction.
                    connection = nil
                } else if !(current.write(Array("RSET\r\n".utf8)) && current.readReply() != nil) {
                    connection = nil
                }
                continue
            }
            guard replies.count == commandCount, replies[2].code == 354 else {
                lose("the connection to \(address) ended")
                continue
            }
            var out: [UInt8] = []
            envelope.appendData(to: &out)
            let dataLength = out.count
            // The next message's commands ride with this one's text, when nothing would refuse it beforehand.
            let next = index + 1
            if pipelining && next < envelopes.count && canOpen(envelopes[next]) {
                for command in self.commands(envelopes[next]) { out += command }
            }
            let written = current.written(out)
            guard written >= dataLength else {
                // Its final "." cannot have been read whole: not delivered, sent again on a new connection.
                lose("the connection to \(address) ended while the message was sent")
                continue
            }
            awaitingDot = index
            index += 1
            guard written == out.count else {
                lose("the connection to \(address) ended before it confirmed the message")
                continue
            }
            if out.count > dataLength { opened = next }
            if !pipelining {
                guard let reply = current.readReply() else {
                    lose("the connection to \(address) ended before it confirmed the message")
                    continue
                }
                settleDot(reply)
            }
        }
        if awaitingDot != nil {
            if let reply = connection?.readReply() {
                settleDot(reply)
            } else {
                lose("the connection to \(address) ended before it confirmed the message")
            }
        }
        let unsent = lastProblem.isEmpty ? "not sent" : lastProblem
        return results.map { $0 ?? .notSent(unsent) }
    }

    /// MAIL, RCPT and DATA for `envelope`, each a line.
    private func commands(_ envelope: SMTPEnvelope) -> [[UInt8]] {
        var parameters = ""
        if envelope.hasEightBitText && eightBitMIME { parameters += " BODY=8BITMIME" }
        if envelope.hasUTF8Address { parameters += " SMTPUTF8" }
        return [
            "MAIL FROM:<\(envelope.sender)>\(parameters)\r\n", "RCPT TO:<\(envelope.recipient)>\r\n", "DATA\r\n",
        ].map { Array($0.utf8) }
    }

    /// Whether `envelope` gets to MAIL at all (the checks `send` makes before it asks the server anything).
    private func canOpen(_ envelope: SMTPEnvelope) -> Bool {
        SMTPEnvelope.isSafe(envelope.sender) && SMTPEnvelope.isSafe(envelope.recipient)
            && !(envelope.hasUTF8Address && !smtpUTF8)
    }
}
