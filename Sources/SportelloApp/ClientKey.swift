import Foundation
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore

/// The address a client's budget is kept under: an IPv4 address as it is, an IPv6 address by its /64 (one
/// subscriber's network: a home or phone gets a whole /64 and can pick any address in it at will).
enum ClientKey {
    static func of(_ address: String) -> String {
        guard address.utf8.contains(UInt8(ascii: ":")) else { return address }
        // A proxy may write the address in brackets ([2001:db8::1], as in URLs): the same client.
        let bare = address.hasPrefix("[") && address.hasSuffix("]") ? String(address.dropFirst().dropLast()) : address
        let parsed = bare.split(separator: "%", maxSplits: 1).first.map { String($0) } ?? bare
        guard let bytes = IPAddress.bytes(of: parsed), bytes.count == 16 else { return address }
        // An IPv4 address written as IPv6 (::ffff:a.b.c.d) is that IPv4 address.
        if let v4 = IPAddress.mappedIPv4(bytes) { return v4.map(String.init).joined(separator: ".") }
        let hex = Array("0123456789abcdef")
        var key = ""
        for (index, byte) in bytes[0..<8].enumerated() {
            if index > 0 && index % 2 == 0 { key.append(":") }
            key.append(hex[Int(byte >> 4)])
            key.append(hex[Int(byte & 0xF)])
        }
        return key + "::/64"
    }
}
