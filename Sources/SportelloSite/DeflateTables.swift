/// deflate's fixed tables (RFC 1951 §3.2.5–3.2.6) as plain memory the encoder's loops index without checks:
/// which symbol codes a match length or distance, the extra bits after it, and the fixed Huffman codes.
final class DeflateTables: @unchecked Sendable {
    /// Literals 0…255, end of block, lengths 257…285 (and two symbols the fixed code has but no block uses).
    static let literalSymbols = 288
    static let distanceSymbols = 30
    static let endOfBlock = 256
    static let lengthBases: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    static let lengthExtraBits: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    static let distanceBases: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    static let distanceExtraBits: [UInt8] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]

    /// Length − 3 (0…255) → its symbol, 257…285.
    let lengthSymbolOfLength: UnsafeMutablePointer<UInt16>
    /// Per length symbol − 257: its first length − 3, and its number of extra bits.
    let lengthBase: UnsafeMutablePointer<UInt16>
    let lengthExtra: UnsafeMutablePointer<UInt8>
    /// Distance − 1 → its symbol: below 256 directly, above at `256 + (distance − 1) >> 7` (those symbols
    /// all have 7 or more extra bits, so 128 distances in a row share one).
    let distanceSymbolLookup: UnsafeMutablePointer<UInt8>
    /// Per distance symbol: its first distance − 1, and its number of extra bits.
    let distanceBase: UnsafeMutablePointer<UInt16>
    let distanceExtra: UnsafeMutablePointer<UInt8>
    let fixedLiteralLengths: UnsafeMutablePointer<UInt8>
    let fixedLiteralCodes: UnsafeMutablePointer<UInt32>
    let fixedDistanceLengths: UnsafeMutablePointer<UInt8>
    let fixedDistanceCodes: UnsafeMutablePointer<UInt32>

    /// The symbol of distance − 1 (`index`, 0…32,767) through `distanceSymbolLookup`.
    @inline(__always) static func distanceSymbol(_ index: Int, in lookup: UnsafeMutablePointer<UInt8>) -> Int {
        Int(truncatingIfNeeded: index < 256 ? lookup[index] : lookup[256 &+ (index &>> 7)])
    }

    init() {
        lengthSymbolOfLength = .allocate(capacity: 256)
        lengthBase = .allocate(capacity: 29)
        lengthExtra = .allocate(capacity: 29)
        for slot in 0..<29 {
            lengthBase[slot] = UInt16(Self.lengthBases[slot] - 3)
            lengthExtra[slot] = Self.lengthExtraBits[slot]
            let first = Self.lengthBases[slot] - 3
            let last = slot == 28 ? 255 : min(255, first + (1 << Int(Self.lengthExtraBits[slot])) - 1)
            // 258 has a symbol of its own (285), though 284's range reaches it too.
            for index in first...last { lengthSymbolOfLength[index] = UInt16(257 + slot) }
        }
        distanceSymbolLookup = .allocate(capacity: 512)
        distanceBase = .allocate(capacity: Self.distanceSymbols)
        distanceExtra = .allocate(capacity: Self.distanceSymbols)
        for symbol in 0..<Self.distanceSymbols {
            let first = Self.distanceBases[symbol] - 1
            distanceBase[symbol] = UInt16(first)
            distanceExtra[symbol] = Self.distanceExtraBits[symbol]
            for index in first..<(first + (1 << Int(Self.distanceExtraBits[symbol]))) {
                if index < 256 {
                    distanceSymbolLookup[index] = UInt8(symbol)
                } else {
                    distanceSymbolLookup[256 + index >> 7] = UInt8(symbol)
                }
            }
        }
        fixedLiteralLengths = .allocate(capacity: Self.literalSymbols)
        fixedLiteralCodes = .allocate(capacity: Self.literalSymbols)
        for symbol in 0..<Self.literalSymbols {
            fixedLiteralLengths[symbol] = symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8
        }
        HuffmanCode.buildCodes(lengths: fixedLiteralLengths, count: Self.literalSymbols, codes: fixedLiteralCodes)
        fixedDistanceLengths = .allocate(capacity: Self.distanceSymbols)
        fixedDistanceLengths.initialize(repeating: 5, count: Self.distanceSymbols)
        fixedDistanceCodes = .allocate(capacity: Self.distanceSymbols)
        HuffmanCode.buildCodes(lengths: fixedDistanceLengths, count: Self.distanceSymbols, codes: fixedDistanceCodes)
    }

    deinit {
        lengthSymbolOfLength.deallocate()
        lengthBase.deallocate()
        lengthExtra.deallocate()
        distanceSymbolLookup.deallocate()
        distanceBase.deallocate()
        distanceExtra.deallocate()
        fixedLiteralLengths.deallocate()
        fixedLiteralCodes.deallocate()
        fixedDistanceLengths.deallocate()
        fixedDistanceCodes.deallocate()
    }
}
