/// Where mail goes when it is spoken over SMTP (`notifications.smtp`): a host name or an IPv4/IPv6 literal and a
/// port, written "127.0.0.1:25", "localhost:25" or "[::1]:25". Meant for a local MTA that relays: there is no TLS
/// and no AUTH (README "Notifications").
public struct SMTPServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address literal, without brackets.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// An address as given.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads "host:port" or "[v6 literal]:port"; nil when it is not one (no port, a port out of range, a host
    /// with spaces or control characters).
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
            guard hostPart.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            // An IPv6 literal must be bracketed, or its last group would read as the port.
            guard !hostPart.contains(":") else { return nil }
        }
        guard !hostPart.isEmpty, hostPart.count <= 253,
            hostPart.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 && $0 != "/" }),
            !portPart.isEmpty, portPart.allSatisfy(\.isASCII), portPart.allSatisfy(\.isNumber),
            let port = Int(portPart), (1...65_535).contains(port)
        else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    /// As written in the configuration: "host:port", an IPv6 literal in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
