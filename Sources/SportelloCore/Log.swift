import Foundation
import Synchronization

/// The one logger: every line goes to stderr with a single `write(2)`, so lines from different threads never
/// interleave and nothing waits in a buffer until shutdown (stdout on a pipe is block-buffered, which is why
/// `serve` under systemd used to show its start lines only when it stopped). No personal data is ever logged:
/// client addresses go through `anonymizedAddress`, and callers log codes and identifiers, never names.
public enum Log {
    private struct State {
        var format = LogFormat.logfmt
        var sinks: [Int: @Sendable (String) -> Void] = [:]
        var nextSink = 0
    }
    private static let state = Mutex(State())

    /// How lines are written (logfmt or JSON), as `serve --log-format` chose.
    public static var format: LogFormat { state.withLock { $0.format } }

    /// Chooses logfmt or JSON lines for the rest of the process, once at start-up.
    public static func configure(format: LogFormat) { state.withLock { $0.format = format } }

    /// Tests read the lines instead of stderr: every line goes to each capturing sink until `endCapture`.
    /// Several tests may capture at once (each filters the lines it looks for).
    public static func capture(_ sink: @escaping @Sendable (String) -> Void) -> Int {
        state.withLock {
            $0.nextSink += 1
            $0.sinks[$0.nextSink] = sink
            return $0.nextSink
        }
    }

    /// Stops the sink `capture(_:)` returned `token` for.
    public static func endCapture(_ token: Int) { _ = state.withLock { $0.sinks.removeValue(forKey: token) } }

    /// Normal operation worth a line: start-up, a command's result, a finished rebuild.
    public static func info(_ event: String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        write("info", event, fields)
    }
    /// Something a sysadmin should look at that Sportello works around (a retry, a refused setting).
    public static func warning(_ event: String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        write("warn", event, fields)
    }
    /// A failure that loses or delays work (a page not written, a message not handed over).
    public static func error(_ event: String, _ fields: KeyValuePairs<String, LogValue> = [:]) {
        write("error", event, fields)
    }

    private static func write(_ level: String, _ event: String, _ fields: KeyValuePairs<String, LogValue>) {
        let (format, sinks) = state.withLock { ($0.format, $0.sinks) }
        let line = render(format: format, time: time(nil), level: level, event: event, fields: fields)
        if !sinks.isEmpty {
            for sink in sinks.values { sink(line) }
            return
        }
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(2, base + offset, raw.count - offset)
            }
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// One line without its newline. The time is UTC to the second, formatted by hand: a `DateFormatter` per
    /// request costs more than the rest of the line.
    public static func render(
        format: LogFormat, time: Int, level: String, event: String, fields: KeyValuePairs<String, LogValue>
    ) -> String {
        var line = ""
        line.reserveCapacity(160)
        let timestamp = isoTimestamp(time)
        switch format {
        case .logfmt:
            line += "ts=\(timestamp) level=\(level) event="
            appendLogfmt(event, to: &line)
            for (key, value) in fields {
                line += " "
                line += key
                line += "="
                switch value {
                case .text(let text): appendLogfmt(text, to: &line)
                case .int(let number): line += String(number)
                case .milliseconds(let nanoseconds): line += milliseconds(nanoseconds)
                }
            }
        case .json:
            line += "{\"ts\":\"\(timestamp)\",\"level\":\"\(level)\",\"event\":"
            line += JSONWriter.string(event)
            for (key, value) in fields {
                line += ","
                line += JSONWriter.string(key)
                line += ":"
                switch value {
                case .text(let text): line += JSONWriter.string(text)
                case .int(let number): line += String(number)
                case .milliseconds(let nanoseconds): line += milliseconds(nanoseconds)
                }
            }
            line += "}"
        }
        return line
    }

    private static func appendLogfmt(_ text: String, to line: inout String) {
        let needsQuotes =
            text.isEmpty
            || text.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") || $0 == 0x7F }
        guard needsQuotes else {
            line += text
            return
        }
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    line += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }

    /// The last second formatted: under load every line of a second shares it.
    private static let lastTimestamp = Mutex<(time: Int, text: String)>((-1, ""))

    static func isoTimestamp(_ time: Int) -> String {
        if let cached = lastTimestamp.withLock({ $0.time == time ? $0.text : nil }) { return cached }
        let text = formatTimestamp(time)
        lastTimestamp.withLock { $0 = (time, text) }
        return text
    }

    /// Milliseconds with two decimals from nanoseconds (`1.84`), without `String(format:)`.
    public static func milliseconds(_ nanoseconds: UInt64) -> String {
        let hundredths = (nanoseconds + 5_000) / 10_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func formatTimestamp(_ time: Int) -> String {
        var seconds = time_t(time)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// A client address reduced to its network: the /24 of IPv4 (`192.0.2.0/24`), the /48 of IPv6
    /// (`2001:db8:1::/48`). Enough to spot an abusive network, not enough to single out a person.
    /// Anything that is not an address is logged as `-`.
    public static func anonymizedAddress(_ address: String) -> String {
        guard var bytes = IPAddress.bytes(of: address) else { return "-" }
        // An IPv4 client on a dual-stack socket: the IPv4 rule applies.
        if let v4 = IPAddress.mappedIPv4(bytes) { bytes = v4 }
        if bytes.count == 4 { return "\(bytes[0]).\(bytes[1]).\(bytes[2]).0/24" }
        for index in 6..<16 { bytes[index] = 0 }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var masked = in6_addr()
        withUnsafeMutableBytes(of: &masked) { $0.copyBytes(from: bytes) }
        guard inet_ntop(AF_INET6, &masked, &text, socklen_t(text.count)) != nil else { return "-" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/48"
    }
}
