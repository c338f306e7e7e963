import Foundation
import Glibc
import SportelloCore

/// Serialises responses: status line, the responder's headers (sanitised), `Date`, `Content-Length`,
/// `Connection`, then the body unless HEAD/204/304. Written straight into one byte array sized up front:
/// this runs once per request, on the event loop for static pages.
enum ResponseWriter {
    static func serialize(_ response: HTTPResponse, isHead: Bool, close: Bool, http10KeepAlive: Bool) -> [UInt8] {
        let status = (100...999).contains(response.status) ? response.status : 500
        let bodiless = status < 200 || status == 204 || status == 304
        let sendBody = !isHead && !bodiless
        var headerBytes = 0
        for (name, value) in response.headers { headerBytes += name.utf8.count + value.utf8.count + 4 }
        var out: [UInt8] = []
        out.reserveCapacity(160 + headerBytes + (sendBody ? response.body.count : 0))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status, to: &out)
        out.append(0x20)
        out.append(contentsOf: HTTPResponse.reasonPhrase(status).utf8)
        out.append(contentsOf: crlf)
        var declaredLength: String?
        for (name, value) in response.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { continue }
            if asciiCaseInsensitiveEquals(name, "Content-Length") {
                declaredLength = value
                continue
            }
            if asciiCaseInsensitiveEquals(name, "Date") || asciiCaseInsensitiveEquals(name, "Connection")
                || asciiCaseInsensitiveEquals(name, "Transfer-Encoding")
            {
                continue
            }
            out.append(contentsOf: name.utf8)
            out.append(0x3A)
            out.append(0x20)
            appendSanitized(value, to: &out)
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: HTTPDate.currentDateField())
        if !bodiless {
            out.append(contentsOf: "Content-Length: ".utf8)
            // A HEAD answer may declare the length of the body it would have had.
            if isHead, response.body.isEmpty, let declared = declaredLength, !declared.isEmpty,
                declared.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 })
            {
                out.append(contentsOf: declared.utf8)
            } else {
                appendDecimal(response.body.count, to: &out)
            }
            out.append(contentsOf: crlf)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if http10KeepAlive {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
        if sendBody { out.append(contentsOf: response.body) }
        return out
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// No CR, LF or NUL may reach the wire from a header value (response splitting): each becomes a space.
    private static func appendSanitized(_ value: String, to out: inout [UInt8]) {
        let unsafe = { (byte: UInt8) in byte == 0x0D || byte == 0x0A || byte == 0 }
        let found = value.utf8.withContiguousStorageIfAvailable { $0.contains(where: unsafe) }
        guard found ?? value.utf8.contains(where: unsafe) else {
            out.append(contentsOf: value.utf8)
            return
        }
        for byte in value.utf8 { out.append(unsafe(byte) ? 0x20 : byte) }
    }
}
