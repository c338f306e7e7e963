/// The Huffman codes of one dynamic deflate block and its header (RFC 1951 §3.2.7): the literal/length and
/// distance code lengths, run-length coded with the code-length alphabet, whose own lengths come first.
final class DeflateBlockCodes: @unchecked Sendable {
    /// The order in which the header lists the code-length alphabet's lengths.
    private static let precodeOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    private static let precodeSymbols = 19

    let literalLengths: UnsafeMutablePointer<UInt8>
    let literalCodes: UnsafeMutablePointer<UInt32>
    let distanceLengths: UnsafeMutablePointer<UInt8>
    let distanceCodes: UnsafeMutablePointer<UInt32>
    private let precodeLengths: UnsafeMutablePointer<UInt8>
    private let precodeCodes: UnsafeMutablePointer<UInt32>
    private let precodeFrequencies: UnsafeMutablePointer<UInt32>
    /// The header's run-length items: a code-length symbol in the low byte, its extra bits' value above.
    private let items: UnsafeMutablePointer<UInt16>
    private var itemCount = 0
    private let allLengths: UnsafeMutablePointer<UInt8>
    private let scratch: UnsafeMutablePointer<UInt64>
    private var literalCount = 257
    private var distanceCount = 1
    private var precodeCount = 4

    init() {
        literalLengths = .allocate(capacity: DeflateTables.literalSymbols)
        literalCodes = .allocate(capacity: DeflateTables.literalSymbols)
        distanceLengths = .allocate(capacity: DeflateTables.distanceSymbols)
        distanceCodes = .allocate(capacity: DeflateTables.distanceSymbols)
        precodeLengths = .allocate(capacity: Self.precodeSymbols)
        precodeCodes = .allocate(capacity: Self.precodeSymbols)
        precodeFrequencies = .allocate(capacity: Self.precodeSymbols)
        let lengthCount = DeflateTables.literalSymbols + DeflateTables.distanceSymbols
        items = .allocate(capacity: lengthCount)
        allLengths = .allocate(capacity: lengthCount)
        scratch = .allocate(capacity: DeflateTables.literalSymbols)
    }

    deinit {
        literalLengths.deallocate()
        literalCodes.deallocate()
        distanceLengths.deallocate()
        distanceCodes.deallocate()
        precodeLengths.deallocate()
        precodeCodes.deallocate()
        precodeFrequencies.deallocate()
        items.deallocate()
        allLengths.deallocate()
        scratch.deallocate()
    }

    /// Builds the codes for these frequencies and returns the block's size in bits with them, header included,
    /// the length and distance symbols' extra bits left out (the same for every block type).
    func prepareDynamic(
        literalFrequencies: UnsafePointer<UInt32>, distanceFrequencies: UnsafePointer<UInt32>
    ) -> Int {
        HuffmanCode.buildLengths(
            frequencies: literalFrequencies, count: DeflateTables.literalSymbols, limit: 15,
            lengths: literalLengths, scratch: scratch)
        HuffmanCode.buildLengths(
            frequencies: distanceFrequencies, count: DeflateTables.distanceSymbols, limit: 15,
            lengths: distanceLengths, scratch: scratch)
        HuffmanCode.buildCodes(lengths: literalLengths, count: DeflateTables.literalSymbols, codes: literalCodes)
        HuffmanCode.buildCodes(lengths: distanceLengths, count: DeflateTables.distanceSymbols, codes: distanceCodes)
        literalCount = 257
        for symbol in 257..<DeflateTables.literalSymbols where literalLengths[symbol] != 0 {
            literalCount = symbol + 1
        }
        distanceCount = 1
        for symbol in 0..<DeflateTables.distanceSymbols where distanceLengths[symbol] != 0 {
            distanceCount = symbol + 1
        }
        let total = literalCount + distanceCount
        allLengths.update(from: literalLengths, count: literalCount)
        (allLengths + literalCount).update(from: distanceLengths, count: distanceCount)
        runLengthCode(total)
        HuffmanCode.buildLengths(
            frequencies: precodeFrequencies, count: Self.precodeSymbols, limit: 7, lengths: precodeLengths,
            scratch: scratch)
        HuffmanCode.buildCodes(lengths: precodeLengths, count: Self.precodeSymbols, codes: precodeCodes)
        precodeCount = 4
        for (position, symbol) in Self.precodeOrder.enumerated() where precodeLengths[symbol] != 0 {
            precodeCount = max(precodeCount, position + 1)
        }
        var bits = 3 + 5 + 5 + 4 + 3 * precodeCount
        for symbol in 0..<Self.precodeSymbols {
            bits += Int(precodeFrequencies[symbol]) * Int(precodeLengths[symbol])
        }
        bits += Int(precodeFrequencies[16]) * 2 + Int(precodeFrequencies[17]) * 3 + Int(precodeFrequencies[18]) * 7
        for symbol in 0..<DeflateTables.literalSymbols {
            bits += Int(literalFrequencies[symbol]) * Int(literalLengths[symbol])
        }
        for symbol in 0..<DeflateTables.distanceSymbols {
            bits += Int(distanceFrequencies[symbol]) * Int(distanceLengths[symbol])
        }
        return bits
    }

    /// The code lengths as runs: 16 repeats the previous length 3–6 times, 17 and 18 write 3–10 and 11–138 zeros.
    private func runLengthCode(_ total: Int) {
        precodeFrequencies.update(repeating: 0, count: Self.precodeSymbols)
        itemCount = 0
        func add(_ symbol: Int, _ extra: Int = 0) {
            items[itemCount] = UInt16(symbol | extra << 8)
            itemCount += 1
            precodeFrequencies[symbol] += 1
        }
        var index = 0
        while index < total {
            let length = allLengths[index]
            var run = 1
            while index + run < total && allLengths[index + run] == length { run += 1 }
            index += run
            if length == 0 {
                while run >= 11 {
                    let taken = min(run, 138)
                    add(18, taken - 11)
                    run -= taken
                }
                if run >= 3 {
                    add(17, run - 3)
                    run = 0
                }
            } else {
                add(Int(length))
                run -= 1
                while run >= 3 {
                    let taken = min(run, 6)
                    add(16, taken - 3)
                    run -= taken
                }
            }
            for _ in 0..<run { add(Int(length)) }
        }
    }

    /// Writes the block header for the codes `prepareDynamic` built last.
    func writeDynamicHeader(final: Bool, writer: inout DeflateBitWriter) {
        writer.put(final ? 1 : 0, 1)
        writer.put(2, 2)
        writer.put(UInt64(literalCount - 257), 5)
        writer.put(UInt64(distanceCount - 1), 5)
        writer.put(UInt64(precodeCount - 4), 4)
        for position in 0..<precodeCount { writer.put(UInt64(precodeLengths[Self.precodeOrder[position]]), 3) }
        for index in 0..<itemCount {
            let item = Int(items[index])
            let symbol = item & 0xFF
            writer.put(UInt64(precodeCodes[symbol]), Int(precodeLengths[symbol]))
            switch symbol {
            case 16: writer.put(UInt64(item >> 8), 2)
            case 17: writer.put(UInt64(item >> 8), 3)
            case 18: writer.put(UInt64(item >> 8), 7)
            default: break
            }
        }
    }
}
