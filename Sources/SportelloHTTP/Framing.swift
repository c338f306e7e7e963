/// How a request's body is delimited and whether the connection persists.
struct Framing {
    var contentLength: Int
    var keepAlive: Bool
    var expectContinue: Bool
    var path: String
    var query: String?

    enum Outcome {
        case success(Framing)
        case failure(Int)
    }

    static func analyze(_ head: RequestHead, limits: HTTPLimits) -> Outcome {
        var lengthFields = 0
        var length = 0
        var badLength = false
        var transferEncoding = false
        var hosts = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        for (name, value) in head.fields {
            if asciiCaseInsensitiveEquals(name, "Content-Length") {
                lengthFields += 1
                if value.isEmpty { badLength = true }
                for byte in value.utf8 {
                    guard byte >= 48, byte <= 57 else {
                        badLength = true
                        break
                    }
                    length = length > Int.max / 20 ? Int.max / 2 : length * 10 + Int(byte - 48)
                }
            } else if asciiCaseInsensitiveEquals(name, "Transfer-Encoding") {
                transferEncoding = true
            } else if asciiCaseInsensitiveEquals(name, "Host") {
                hosts += 1
            } else if asciiCaseInsensitiveEquals(name, "Connection") {
                for token in value.split(separator: ",") {
                    let t = token.trimmed(of: " \t")
                    if asciiCaseInsensitiveEquals(t, "close") { connectionClose = true }
                    if asciiCaseInsensitiveEquals(t, "keep-alive") { connectionKeepAlive = true }
                }
            } else if asciiCaseInsensitiveEquals(name, "Expect") {
                expectContinue = asciiCaseInsensitiveEquals(value, "100-continue")
            }
        }
        if transferEncoding && lengthFields > 0 { return .failure(400) }  // smuggling vector
        if lengthFields > 1 || badLength { return .failure(400) }
        if transferEncoding { return .failure(411) }  // no chunked request bodies
        if hosts > 1 || (head.minorVersion == 1 && hosts == 0) { return .failure(400) }
        if lengthFields == 0, ["POST", "PUT", "PATCH"].contains(head.method) { return .failure(411) }
        if length > limits.body { return .failure(413) }
        guard let target = RequestTarget.parse(head.target) else { return .failure(400) }
        let keepAlive = head.minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return .success(
            Framing(
                contentLength: length, keepAlive: keepAlive,
                expectContinue: expectContinue && head.minorVersion == 1,
                path: target.path, query: target.query))
    }
}
