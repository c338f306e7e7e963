import Glibc

/// A request line and header fields, syntactically valid.
struct RequestHead {
    var method: String
    var target: [UInt8]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int
    var fields: [(String, String)]
}
