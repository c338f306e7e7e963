import Foundation

/// A parsed request as handed to a responder.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`… exactly as received (methods are case-sensitive).
    public let method: String
    /// The request target exactly as received (`/path?query`).
    public let target: String
    /// Percent-decoded path without the query.
    public let path: String
    /// The raw (still encoded) query, without `?`; nil when the target has no `?`.
    public let query: String?
    /// `HTTP/1.1` or `HTTP/1.0`.
    public let version: String
    /// The header fields in arrival order.
    public let headers: HTTPHeaders
    /// The body (`Content-Length` bytes; empty without one).
    public let body: [UInt8]
    /// Peer IP address, e.g. `127.0.0.1`.
    public let remoteAddress: String

    /// A request with its parts already split (the server builds them from the head).
    public init(
        method: String, target: String, path: String, query: String?, version: String = "HTTP/1.1",
        headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Builds a request deriving `path` and `query` from `target` (handy in tests). An undecodable
    /// target keeps its raw path.
    public init(
        method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], remoteAddress: String = "127.0.0.1"
    ) {
        let parts = RequestTarget.parse(Array(target.utf8))
        let rawPath =
            target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            ?? target
        self.init(
            method: method, target: target, path: parts?.path ?? rawPath, query: parts?.query ?? nil,
            version: version, headers: headers, body: body, remoteAddress: remoteAddress)
    }

    /// Cookies of every `Cookie` field.
    public var cookies: [String: String] {
        let all = headers.values("Cookie")
        return parseCookies(all.isEmpty ? nil : all.joined(separator: "; "))
    }
}
