import Glibc

/// Incremental, allocation-light parser of a request head. Feed it the growing receive buffer (the head
/// starts at index 0); it resumes where it stopped, so a head trickled byte by byte costs O(n).
///
/// Strict by design (docs/ARCHITECTURE.md §5): lines end in CRLF (a bare CR or bare LF is 400), no obs-fold,
/// no whitespace before the colon, only HTTP/1.0 and HTTP/1.1.
struct HeadParser {
    enum Step {
        case needMore
        case failed(Int)
        case complete(RequestHead, consumed: Int)
    }

    private let requestLineLimit: Int
    private let headerBlockLimit: Int
    private let fieldLimit: Int
    private var scan = 0
    private var lineStart = 0
    private var leadingEmptyLines = 0
    private var requestLine: (method: String, target: [UInt8], minor: Int)?
    private var fields: [(String, String)] = []
    private var headerBytes = 0

    init(limits: HTTPLimits) {
        requestLineLimit = limits.requestLine
        headerBlockLimit = limits.headerBlock
        fieldLimit = limits.headerFields
    }

    mutating func advance(_ buffer: [UInt8]) -> Step {
        buffer.withUnsafeBufferPointer { advance($0) }
    }

    private mutating func advance(_ p: UnsafeBufferPointer<UInt8>) -> Step {
        guard let base = p.baseAddress else { return .needMore }
        while scan < p.count {
            guard let hit = memchr(base + scan, 0x0A, p.count - scan) else {
                scan = p.count
                break
            }
            let lf = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            // Size limits first, with the same arithmetic as the partial-line checks below, so the verdict
            // does not depend on how the bytes were split across reads.
            let isBlank = lf == lineStart + 1 && p[lineStart] == 0x0D
            if requestLine == nil {
                if lf - lineStart > requestLineLimit + 1 { return .failed(414) }
            } else if !isBlank, headerBytes + (lf - lineStart + 1) > headerBlockLimit {
                return .failed(431)
            }
            // Bare LF, or a CR anywhere else in the line (bare CR): both 400.
            guard lf > lineStart, p[lf - 1] == 0x0D else { return .failed(400) }
            let end = lf - 1
            if end > lineStart, memchr(base + lineStart, 0x0D, end - lineStart) != nil { return .failed(400) }
            let next = lf + 1
            if requestLine == nil {
                if end == lineStart {
                    // RFC 9112 §2.2: ignore a few empty lines before the request line.
                    leadingEmptyLines += 1
                    if leadingEmptyLines > 8 { return .failed(400) }
                } else {
                    guard let line = Self.parseRequestLine(p, lineStart, end) else { return .failed(400) }
                    requestLine = line
                }
            } else if end == lineStart {
                guard let line = requestLine else { return .failed(400) }
                let head = RequestHead(
                    method: line.method, target: line.target, minorVersion: line.minor, fields: fields)
                return .complete(head, consumed: next)
            } else {
                headerBytes += end - lineStart + 2
                if fields.count >= fieldLimit { return .failed(431) }
                guard let field = Self.parseField(p, lineStart, end) else { return .failed(400) }
                fields.append(field)
            }
            lineStart = next
            scan = next
        }
        // Limits on the line still incomplete: answer as soon as it is certain.
        let partial = p.count - lineStart
        if requestLine == nil {
            if partial > requestLineLimit + 1 { return .failed(414) }
        } else if partial >= 2, headerBytes + partial + 1 > headerBlockLimit {
            return .failed(431)  // a line of 2+ bytes is not the blank line and will be at least 1 byte longer
        }
        return .needMore
    }

    private static func parseRequestLine(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int
    )
        -> (method: String, target: [UInt8], minor: Int)?
    {
        guard let sp1 = firstIndex(of: 0x20, in: p, start, end), sp1 > start,
            let sp2 = firstIndex(of: 0x20, in: p, sp1 + 1, end), sp2 > sp1 + 1,
            end - (sp2 + 1) == 8
        else { return nil }
        for i in start..<sp1 where !isTokenByte(p[i]) { return nil }
        for i in (sp1 + 1)..<sp2 where !(0x21...0x7E).contains(p[i]) { return nil }
        let version = UnsafeBufferPointer(rebasing: p[(sp2 + 1)..<end])
        guard version.starts(with: "HTTP/1.".utf8) else { return nil }
        let minor: Int
        switch version[7] {
        case UInt8(ascii: "1"): minor = 1
        case UInt8(ascii: "0"): minor = 0
        default: return nil
        }
        let method = String(decoding: UnsafeBufferPointer(rebasing: p[start..<sp1]), as: UTF8.self)
        return (method, Array(p[(sp1 + 1)..<sp2]), minor)
    }

    private static func parseField(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (String, String)? {
        // obs-fold (a continuation line) is rejected, as is whitespace before the colon.
        guard p[start] != 0x20, p[start] != 0x09,
            let colon = firstIndex(of: UInt8(ascii: ":"), in: p, start, end), colon > start
        else { return nil }
        for i in start..<colon where !isTokenByte(p[i]) { return nil }
        var valueStart = colon + 1
        var valueEnd = end
        while valueStart < valueEnd, p[valueStart] == 0x20 || p[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, p[valueEnd - 1] == 0x20 || p[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        var ascii = true
        for i in valueStart..<valueEnd {
            let b = p[i]
            if b < 0x20 && b != 0x09 || b == 0x7F { return nil }
            if b >= 0x80 { ascii = false }
        }
        let name = String(decoding: UnsafeBufferPointer(rebasing: p[start..<colon]), as: UTF8.self)
        let raw = UnsafeBufferPointer(rebasing: p[valueStart..<valueEnd])
        let value: String
        if ascii {
            value = String(decoding: raw, as: UTF8.self)
        } else if let utf8 = String(validating: raw, as: UTF8.self) {
            value = utf8
        } else {
            value = String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))  // obs-text as Latin-1
        }
        return (name, value)
    }

    private static func firstIndex(of byte: UInt8, in p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            if p[i] == byte { return i }
            i += 1
        }
        return nil
    }
}

/// RFC 9110 tchar.
@inline(__always) func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
        UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
        UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        true
    default: false
    }
}
