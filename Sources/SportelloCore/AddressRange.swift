import Foundation

/// An IP address or a CIDR network (`10.0.0.0/8`, `2001:db8::/32`), as `booking.trustedProxies` lists them.
/// Host names are not addresses: a proxy is recognised by the address its connection comes from.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), masked to the prefix.
    let network: [UInt8]
    let prefixLength: Int
    /// The range as the configuration wrote it, for messages.
    public let description: String

    /// Parses an address (a single host) or `address/prefix`; nil for anything else, host names included.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let bytes = IPAddress.bytes(of: String(first)) else { return nil }
        var length = bytes.count * 8
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bytes.count * 8).contains(value), parts[1].allSatisfy(\.isASCII)
            else { return nil }
            length = value
        }
        network = Self.masked(bytes, length)
        prefixLength = length
        description = text
    }

    /// Whether `address` (as the server reports a connection's peer) is in this range. An IPv4 client seen
    /// as `::ffff:a.b.c.d` on a dual-stack socket matches an IPv4 range.
    public func contains(_ address: String) -> Bool {
        guard var bytes = IPAddress.bytes(of: address) else { return false }
        if network.count == 4, let v4 = IPAddress.mappedIPv4(bytes) { bytes = v4 }
        guard bytes.count == network.count else { return false }
        return Self.masked(bytes, prefixLength) == network
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}
