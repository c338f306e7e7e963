import Glibc

/// The server's reading of a request as a pure function of its bytes, for the fuzz harness: the same
/// head parser and framing rules the event loop applies, without a socket.
public enum RequestParsing {
    /// What the server would do with a byte string received on a new connection.
    public enum Verdict: Equatable, Sendable {
        /// The bytes end before the request does (the server would wait for more).
        case incomplete
        /// A request the server would answer; `bodyLength` bytes follow the head.
        case request(method: String, path: String, bodyLength: Int)
        /// Refused with this status (always 4xx) and the connection closed.
        case refused(Int)
    }

    /// The server's verdict on `bytes` as the start of a connection.
    public static func verdict(_ bytes: [UInt8], limits: HTTPLimits = .standard) -> Verdict {
        var parser = HeadParser(limits: limits)
        switch parser.advance(bytes) {
        case .needMore: return .incomplete
        case .failed(let status): return .refused(status)
        case .complete(let head, _):
            switch Framing.analyze(head, limits: limits) {
            case .failure(let status): return .refused(status)
            case .success(let framing):
                return .request(method: head.method, path: framing.path, bodyLength: framing.contentLength)
            }
        }
    }
}
