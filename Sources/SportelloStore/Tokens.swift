import Foundation
import SportelloCore

/// Random identifiers. `SystemRandomNumberGenerator` reads the kernel's CSPRNG (getrandom) on Linux.
public enum Tokens {
    /// 128 random bits as 32 lowercase hex characters.
    public static func hex128() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(32)
        for _ in 0..<2 {
            var bits = generator.next() as UInt64
            for _ in 0..<16 {
                text.append(digits[Int(bits & 0xF)])
                bits >>= 4
            }
        }
        return text
    }

    /// No 0/O or 1/I, so a code read over the phone or copied by hand is not mistyped.
    public static let codeAlphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    /// 8 characters of a 32-letter alphabet: 40 random bits, and acting on a code also needs the codice fiscale.
    public static func bookingCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in codeAlphabet[Int(generator.next() as UInt64 % UInt64(codeAlphabet.count))] })
    }

    /// Compares secrets in time independent of where they differ, so timing reveals nothing.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
