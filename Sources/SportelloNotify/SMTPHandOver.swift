import SportelloCore

/// A mail handed to the courier to be spoken over SMTP instead of run through a program: the same request frame
/// as a program's (`CourierFrame`), its "command" naming the server, the attempt and the envelope. The courier
/// keeps the evidence of these in its journal (`SMTPJournal`), one line per step instead of a file per message.
struct SMTPHandOver: Equatable {
    /// Where a program's path would be: "smtp://host:port" (no program path starts so).
    static let scheme = "smtp://"

    let server: SMTPServerAddress
    /// The outbox's count of earlier attempts: with the id it names this attempt in the journal, so an attempt
    /// recorded as failed (or uncertain) never stands for the next one.
    let attempt: Int
    let sender: String
    let recipient: String

    init(server: SMTPServerAddress, attempt: Int, sender: String, recipient: String) {
        self.server = server
        self.attempt = attempt
        self.sender = sender
        self.recipient = recipient
    }

    /// The hand-over a request's command describes; nil for a program's command.
    init?(command: [String]) {
        guard command.count == 4, let first = command.first, first.hasPrefix(Self.scheme),
            let server = SMTPServerAddress(String(first.dropFirst(Self.scheme.count))), let attempt = Int(command[1]),
            attempt >= 0
        else { return nil }
        self.init(server: server, attempt: attempt, sender: command[2], recipient: command[3])
    }

    /// The command sent to the courier.
    var command: [String] { [Self.scheme + server.description, String(attempt), sender, recipient] }

    /// This attempt's name in the journal: "<id>.<attempt>".
    func key(id: Int64) -> String { Self.key(id: id, attempt: attempt) }

    /// The journal's name of a message's attempt.
    static func key(id: Int64, attempt: Int) -> String { "\(id).\(attempt)" }

    /// How a refusal for good starts: `Notifier` sets such a message aside at once (the dead path).
    static let refusedPrefix = "set aside: the mail server refused the message"

    /// What an uncertain attempt says.
    static let uncertainWords =
        "the connection to the mail server ended before it confirmed the message: it may or may not have accepted it "
        + "(tried again with the same Message-ID)"

    /// The words of a refusal for good, or nil when the failure is worth a retry.
    static func refusal(_ error: String) -> String? { error.hasPrefix(refusedPrefix) ? error : nil }

    /// The outcome a journal entry stands for. Started without a status: in flight while its journal is held
    /// (its courier lives), uncertain once it is free (the courier died between "started" and the status).
    static func outcome(_ entry: SMTPJournal.Entry, held: Bool) -> Courier.Outcome {
        guard let status = entry.status else { return held ? .inFlight : .failed(uncertainWords) }
        switch status.code {
        case "lost": return .failed(uncertainWords)
        case "unsent": return .failed("not sent: \(status.words)")
        default:
            if status.code.hasPrefix("2") { return .delivered }
            if status.code.hasPrefix("5") { return .failed("\(refusedPrefix): \(status.words)") }
            return .failed("the mail server answered \(status.words); tried again later")
        }
    }

    /// The journal's status for a client's result: the SMTP code, "unsent" or "lost", and the words.
    static func status(_ result: SMTPClient.Result) -> SMTPJournal.Status {
        switch result {
        case .accepted(let reply), .refused(let reply): SMTPJournal.Status(code: String(reply.code), words: reply.words)
        case .notSent(let words): SMTPJournal.Status(code: "unsent", words: words)
        case .uncertain(let words): SMTPJournal.Status(code: "lost", words: words)
        }
    }
}
