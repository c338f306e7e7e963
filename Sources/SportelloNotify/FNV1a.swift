/// The 64-bit FNV-1a hash of some bytes: stable across runs and processes (Swift's `Hasher` is seeded per process),
/// for names that must come out the same every time a message is written.
enum FNV1a {
    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}
