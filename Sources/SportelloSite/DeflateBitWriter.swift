/// deflate's output bits, first bit lowest (RFC 1951 §3.1.1): a 64-bit buffer whose whole bytes are stored as
/// one unaligned 8-byte word after each addition, so the output needs 8 bytes of room past its end.
struct DeflateBitWriter {
    /// Where the next whole byte goes.
    var out: UnsafeMutablePointer<UInt8>
    /// Bits not yet in whole bytes (fewer than 8 between additions).
    var bits: UInt64 = 0
    var bitCount = 0

    init(_ out: UnsafeMutablePointer<UInt8>) { self.out = out }

    /// Adds the `count` (at most 56) low bits of `value` and stores the whole bytes.
    @inline(__always) mutating func put(_ value: UInt64, _ count: Int) {
        bits |= value &<< UInt64(truncatingIfNeeded: bitCount)
        bitCount &+= count
        flush()
    }

    /// Stores the whole bytes of the buffer, keeping the last few bits.
    @inline(__always) mutating func flush() {
        UnsafeMutableRawPointer(out).storeBytes(of: bits.littleEndian, as: UInt64.self)
        let whole = bitCount &>> 3
        out += whole
        bits = bits &>> UInt64(truncatingIfNeeded: whole &<< 3)
        bitCount &= 7
    }

    /// Pads the last byte with zero bits (before a stored block's lengths, and at the end of the stream).
    mutating func alignToByte() {
        guard bitCount > 0 else { return }
        out.pointee = UInt8(truncatingIfNeeded: bits)
        out += 1
        bits = 0
        bitCount = 0
    }
}
