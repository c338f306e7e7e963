import CZlib

/// Sportello's own deflate (RFC 1951) encoder with the gzip (RFC 1952) wrapper, made for the `.gz` twins of a
/// build: one call per file, the whole file in memory, HTML and JSON that repeat themselves row after row.
///
/// zlib at levels 1–3 hashes every byte of the input and walks a chain of earlier positions for each; here a
/// table holds one earlier position per hash of five bytes, a match is extended eight bytes at a time and the
/// bytes inside a match are not hashed at all, and a run of bytes without a match is crossed in growing steps.
/// Each block (up to `blockSymbols` symbols) gets its own Huffman codes, or the fixed codes or stored bytes
/// where those are shorter. The pages' twins come out about as large as zlib level 3's, the week JSON's about
/// 10% larger (README "Performance").
///
/// Holds its tables and buffers from file to file: used by one thread at a time (`Gzip` hands them out).
final class DeflateEncoder: @unchecked Sendable {
    /// The largest input compressed here; `Gzip` gives larger ones to zlib (positions are kept in 32 bits).
    static let maximumInput = 1 << 30

    private static let hashBits: UInt32 = 14
    private static let window = 32_768
    private static let blockSymbols = 1 << 15
    private static let maximumStep = 32
    private static let insertAllUpTo = 8

    /// Hash of five bytes → the latest position they were seen at, offset by `positionBase` so that the previous
    /// files' entries are out of the window: no clearing between files. One position, not two: the older one
    /// gave the longer match for one match in eight and made the files 3% smaller, for a sixth of the encoder's
    /// time (the second table load and store at every position); five bytes, not four, take back a tenth of that.
    private let table: UnsafeMutablePointer<UInt32>
    private var positionBase: UInt32 = 1 << 16
    /// A block's matches, two words each: how many literals come before it (since the previous match or the
    /// block's start: they are read from the input when the block is written), and `(length - 3) << 16 |
    /// (distance - 1)`. Literals are not stored one by one: the writer crosses a run of them in a loop of its
    /// own, where a symbol stream of both kinds made it guess a literal-or-match branch at every symbol.
    private let matches: UnsafeMutablePointer<UInt32>
    private let literalFrequencies: UnsafeMutablePointer<UInt32>
    private let distanceFrequencies: UnsafeMutablePointer<UInt32>
    private var output: UnsafeMutablePointer<UInt8>
    private var outputCapacity: Int
    private let tables: DeflateTables
    private let block: DeflateBlockCodes

    init() {
        table = .allocate(capacity: 1 << Int(Self.hashBits))
        table.initialize(repeating: 0, count: 1 << Int(Self.hashBits))
        matches = .allocate(capacity: 2 * Self.blockSymbols)
        literalFrequencies = .allocate(capacity: DeflateTables.literalSymbols)
        literalFrequencies.initialize(repeating: 0, count: DeflateTables.literalSymbols)
        distanceFrequencies = .allocate(capacity: DeflateTables.distanceSymbols)
        distanceFrequencies.initialize(repeating: 0, count: DeflateTables.distanceSymbols)
        outputCapacity = 1 << 16
        output = .allocate(capacity: outputCapacity)
        tables = DeflateTables()
        block = DeflateBlockCodes()
    }

    deinit {
        table.deallocate()
        matches.deallocate()
        literalFrequencies.deallocate()
        distanceFrequencies.deallocate()
        output.deallocate()
    }

    /// `bytes` as one gzip member, or nil when the input is over `maximumInput`.
    func compress(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count <= Self.maximumInput else { return nil }
        return bytes.withUnsafeBufferPointer { input in
            let written = compress(input)
            return [UInt8](UnsafeBufferPointer(start: output, count: written))
        }
    }

    /// Compresses `input` into `output`, returning the number of bytes written.
    private func compress(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        let count = input.count
        // Whichever block type is chosen costs at most the stored one: the input, 5 bytes per 64 KB stored
        // block, a stored block per symbol block at worst, and 8 bytes for the bit writer's whole-word stores.
        let bound = count + (count / 32_768 + 2) * 16 + 64
        if bound > outputCapacity {
            output.deallocate()
            outputCapacity = max(bound, outputCapacity * 2)
            output = .allocate(capacity: outputCapacity)
        }
        if UInt64(positionBase) + UInt64(count) + UInt64(2 * Self.window) >= UInt64(UInt32.max) {
            table.update(repeating: 0, count: 1 << Int(Self.hashBits))
            positionBase = 1 << 16
        }
        let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
        for (index, byte) in header.enumerated() { output[index] = byte }
        var writer = DeflateBitWriter(output + header.count)
        if let source = input.baseAddress, count > 0 {
            encodeBlocks(source, count: count, writer: &writer)
        } else {
            flushBlock(source: nil, start: 0, end: 0, symbolCount: 0, matchCount: 0, final: true, writer: &writer)
        }
        writer.alignToByte()
        var end = writer.out
        let checksum = UInt32(truncatingIfNeeded: crc32(0, input.baseAddress, UInt32(count)))
        for value in [checksum, UInt32(truncatingIfNeeded: count)] {
            for shift in stride(from: 0, to: 32, by: 8) {
                end.pointee = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                end += 1
            }
        }
        positionBase &+= UInt32(count) &+ UInt32(2 * Self.window)
        return end - output
    }

    /// The greedy parse: each position's four bytes looked up once, a match taken as soon as it is found.
    private func encodeBlocks(_ source: UnsafePointer<UInt8>, count: Int, writer: inout DeflateBitWriter) {
        let table = self.table
        let matches = self.matches
        let literalFrequencies = self.literalFrequencies
        let distanceFrequencies = self.distanceFrequencies
        let lengthSymbols = tables.lengthSymbolOfLength
        let distanceSymbol = tables.distanceSymbolLookup
        let base = positionBase
        let raw = UnsafeRawPointer(source)
        // Literals and matches in the block (its size in symbols), and its matches.
        var symbolCount = 0
        var matchCount = 0
        var blockStart = 0
        // Where the current run of literals began: a match found late may take back the literals before it.
        var literalsStart = 0
        var misses = 0
        var position = 0
        // Eight bytes are loaded at a time: the last positions are literals.
        let lastHashed = count - 8
        while position < lastHashed {
            if symbolCount > Self.blockSymbols - Self.maximumStep - 2 {
                flushBlock(
                    source: source, start: blockStart, end: position, symbolCount: symbolCount,
                    matchCount: matchCount, final: false, writer: &writer)
                symbolCount = 0
                matchCount = 0
                blockStart = position
                literalsStart = position
            }
            // One load of eight bytes for the hash and the first comparison (at least nine bytes are left).
            let word = raw.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
            let slot = Self.slot(word)
            let here = base &+ UInt32(truncatingIfNeeded: position)
            let newer = table[slot]
            table[slot] = here
            var length = 0
            let distance = Int(truncatingIfNeeded: here &- newer)
            if distance <= Self.window {
                let difference =
                    word ^ raw.loadUnaligned(fromByteOffset: position &- distance, as: UInt64.self).littleEndian
                if difference & 0xFFFF_FFFF == 0 {
                    length =
                        difference == 0
                        ? Self.matchLength(raw, position, distance, min(258, count &- position))
                        : difference.trailingZeroBitCount &>> 3
                }
            }
            if length > 0 {
                var start = position
                // Literals just before may belong to the match (a step skipped its true start).
                while start > literalsStart && start > distance && length < 258
                    && source[start &- 1] == source[start &- 1 &- distance]
                {
                    start &-= 1
                    length &+= 1
                    symbolCount &-= 1
                    literalFrequencies[Int(source[start])] &-= 1
                }
                matches[matchCount &<< 1] = UInt32(truncatingIfNeeded: start &- literalsStart)
                matches[matchCount &<< 1 &+ 1] =
                    UInt32(truncatingIfNeeded: length &- 3) << 16 | UInt32(truncatingIfNeeded: distance &- 1)
                matchCount &+= 1
                symbolCount &+= 1
                literalFrequencies[Int(lengthSymbols[length &- 3])] &+= 1
                let distanceIndex = distance &- 1
                distanceFrequencies[DeflateTables.distanceSymbol(distanceIndex, in: distanceSymbol)] &+= 1
                position = start &+ length
                literalsStart = position
                misses = 0
                // The match's last two positions, where the next row's copy of its end is found; hashing every
                // position inside matches, or those of short ones, made the files larger here, not smaller (the
                // nearer copies they point to match for fewer bytes).
                if position < lastHashed {
                    var inserted = position &- 2
                    while inserted < position {
                        let bytes = raw.loadUnaligned(fromByteOffset: inserted, as: UInt64.self).littleEndian
                        table[Self.slot(bytes)] = base &+ UInt32(truncatingIfNeeded: inserted)
                        inserted &+= 1
                    }
                }
            } else if misses < 32 {
                // One literal: the usual miss (a few between two matches), without the step's loop.
                literalFrequencies[Int(source[position])] &+= 1
                symbolCount &+= 1
                position &+= 1
                misses &+= 1
            } else {
                let step = min(1 &+ misses &>> 5, Self.maximumStep, count &- position)
                for offset in 0..<step { literalFrequencies[Int(source[position &+ offset])] &+= 1 }
                symbolCount &+= step
                position &+= step
                misses &+= 1
            }
        }
        while position < count {
            if symbolCount >= Self.blockSymbols - 1 {
                flushBlock(
                    source: source, start: blockStart, end: position, symbolCount: symbolCount,
                    matchCount: matchCount, final: false, writer: &writer)
                symbolCount = 0
                matchCount = 0
                blockStart = position
            }
            literalFrequencies[Int(source[position])] &+= 1
            symbolCount &+= 1
            position &+= 1
        }
        flushBlock(
            source: source, start: blockStart, end: count, symbolCount: symbolCount, matchCount: matchCount,
            final: true, writer: &writer)
    }

    /// The table slot of the five bytes that start `word` (eight bytes, first byte lowest): those five bytes
    /// multiplied by a 64-bit odd constant, its top bits.
    @inline(__always) private static func slot(_ word: UInt64) -> Int {
        Int(truncatingIfNeeded: ((word &<< 24) &* 0x9E37_79B1_7F4A_7C15) &>> UInt64(64 &- hashBits))
    }

    /// How many bytes from `position` equal those `distance` before (the first eight known equal), at most
    /// `maximumLength` (nine or more); eight bytes are compared at a time while eight remain.
    @inline(__always) private static func matchLength(
        _ raw: UnsafeRawPointer, _ position: Int, _ distance: Int, _ maximumLength: Int
    ) -> Int {
        var length = 8
        while length &+ 8 <= maximumLength {
            let difference =
                raw.loadUnaligned(fromByteOffset: position &+ length, as: UInt64.self)
                ^ raw.loadUnaligned(fromByteOffset: position &+ length &- distance, as: UInt64.self)
            if difference != 0 { return length &+ difference.littleEndian.trailingZeroBitCount &>> 3 }
            length &+= 8
        }
        while length < maximumLength
            && raw.load(fromByteOffset: position &+ length, as: UInt8.self)
                == raw.load(fromByteOffset: position &+ length &- distance, as: UInt8.self)
        {
            length &+= 1
        }
        return length
    }

    /// Writes the block of the input `start..<end` (`symbolCount` literals and matches, its matches
    /// `matches[0..<2 * matchCount]`) as whichever of dynamic codes, fixed codes or stored bytes is shortest, then
    /// clears the frequencies.
    private func flushBlock(
        source: UnsafePointer<UInt8>?, start: Int, end: Int, symbolCount: Int, matchCount: Int, final: Bool,
        writer: inout DeflateBitWriter
    ) {
        literalFrequencies[DeflateTables.endOfBlock] = 1
        let dynamicBits = block.prepareDynamic(
            literalFrequencies: literalFrequencies, distanceFrequencies: distanceFrequencies)
        // The fixed codes' size and the extra bits are counted only when they can change the choice (the same
        // choice, fewer loops): every fixed literal or length code has 7 bits or more and every distance code 5,
        // and a match has at most 5 + 13 extra bits.
        var fixedBits = Int.max
        if 3 + 7 * (symbolCount + 1) + 5 * matchCount <= dynamicBits {
            fixedBits = 3
            for symbol in 0..<DeflateTables.literalSymbols {
                fixedBits += Int(literalFrequencies[symbol]) * Int(tables.fixedLiteralLengths[symbol])
            }
            for symbol in 0..<DeflateTables.distanceSymbols { fixedBits += Int(distanceFrequencies[symbol]) * 5 }
        }
        let storedBytes = end - start
        let storedBits = (storedBytes / 65_535 + 1) * 40 + 7 + storedBytes * 8
        var extraBits = 18 * matchCount
        if storedBits < min(dynamicBits, fixedBits) + extraBits {
            extraBits = 0
            for symbol in 0..<29 {
                extraBits += Int(literalFrequencies[257 + symbol]) * Int(DeflateTables.lengthExtraBits[symbol])
            }
            for symbol in 0..<DeflateTables.distanceSymbols {
                extraBits += Int(distanceFrequencies[symbol]) * Int(DeflateTables.distanceExtraBits[symbol])
            }
        }
        if let source, storedBits < min(dynamicBits, fixedBits) + extraBits {
            writeStored(source + start, count: storedBytes, final: final, writer: &writer)
        } else if fixedBits <= dynamicBits {
            writer.put(final ? 1 : 0, 1)
            writer.put(1, 2)
            writer.flush()
            writeSymbols(
                source.map { $0 + start }, end: end - start, matchCount: matchCount,
                literalCodes: tables.fixedLiteralCodes, literalLengths: tables.fixedLiteralLengths,
                distanceCodes: tables.fixedDistanceCodes, distanceLengths: tables.fixedDistanceLengths,
                writer: &writer)
        } else {
            block.writeDynamicHeader(final: final, writer: &writer)
            writeSymbols(
                source.map { $0 + start }, end: end - start, matchCount: matchCount,
                literalCodes: block.literalCodes, literalLengths: block.literalLengths,
                distanceCodes: block.distanceCodes, distanceLengths: block.distanceLengths, writer: &writer)
        }
        literalFrequencies.update(repeating: 0, count: DeflateTables.literalSymbols)
        distanceFrequencies.update(repeating: 0, count: DeflateTables.distanceSymbols)
    }

    private func writeStored(
        _ bytes: UnsafePointer<UInt8>, count: Int, final: Bool, writer: inout DeflateBitWriter
    ) {
        var offset = 0
        repeat {
            let length = min(65_535, count - offset)
            let last = offset + length == count
            writer.put(final && last ? 1 : 0, 1)
            writer.put(0, 2)
            writer.flush()
            writer.alignToByte()
            let lengths = [UInt16(length), ~UInt16(length)]
            for value in lengths {
                writer.out[0] = UInt8(truncatingIfNeeded: value)
                writer.out[1] = UInt8(truncatingIfNeeded: value >> 8)
                writer.out += 2
            }
            writer.out.update(from: bytes + offset, count: length)
            writer.out += length
            offset += length
        } while offset < count
    }

    /// Writes the block's symbols: the literals of `input[0..<end]` that no match covers, and the matches.
    private func writeSymbols(
        _ input: UnsafePointer<UInt8>?, end: Int, matchCount: Int, literalCodes: UnsafePointer<UInt32>,
        literalLengths: UnsafePointer<UInt8>, distanceCodes: UnsafePointer<UInt32>,
        distanceLengths: UnsafePointer<UInt8>, writer: inout DeflateBitWriter
    ) {
        let matches = self.matches
        let lengthSymbols = tables.lengthSymbolOfLength
        let lengthBases = tables.lengthBase
        let lengthExtra = tables.lengthExtra
        let distanceSymbol = tables.distanceSymbolLookup
        let distanceBases = tables.distanceBase
        let distanceExtra = tables.distanceExtra
        var bits = writer.bits
        var bitCount = writer.bitCount
        var out = writer.out
        var position = 0
        // Whole bytes go out, the last few bits stay.
        @inline(__always) func storeWholeBytes() {
            UnsafeMutableRawPointer(out).storeBytes(of: bits.littleEndian, as: UInt64.self)
            let whole = bitCount &>> 3
            out += whole
            bits = bits &>> UInt64(truncatingIfNeeded: whole &<< 3)
            bitCount &= 7
        }
        // The literals of `input[position..<runEnd]`, two to a store (at most 7 + 2 × 15 bits pending).
        @inline(__always) func writeLiterals(upTo runEnd: Int) {
            guard let input else { return }
            while position &+ 1 < runEnd {
                let first = Int(truncatingIfNeeded: input[position])
                let second = Int(truncatingIfNeeded: input[position &+ 1])
                bits |= UInt64(literalCodes[first]) &<< UInt64(truncatingIfNeeded: bitCount)
                bitCount &+= Int(truncatingIfNeeded: literalLengths[first])
                bits |= UInt64(literalCodes[second]) &<< UInt64(truncatingIfNeeded: bitCount)
                bitCount &+= Int(truncatingIfNeeded: literalLengths[second])
                storeWholeBytes()
                position &+= 2
            }
            if position < runEnd {
                let literal = Int(truncatingIfNeeded: input[position])
                bits |= UInt64(literalCodes[literal]) &<< UInt64(truncatingIfNeeded: bitCount)
                bitCount &+= Int(truncatingIfNeeded: literalLengths[literal])
                storeWholeBytes()
                position &+= 1
            }
        }
        for index in 0..<matchCount {
            writeLiterals(upTo: position &+ Int(truncatingIfNeeded: matches[index &<< 1]))
            let match = matches[index &<< 1 &+ 1]
            let lengthIndex = Int(truncatingIfNeeded: match &>> 16)
            let lengthCode = Int(truncatingIfNeeded: lengthSymbols[lengthIndex])
            bits |= UInt64(literalCodes[lengthCode]) &<< UInt64(truncatingIfNeeded: bitCount)
            bitCount &+= Int(truncatingIfNeeded: literalLengths[lengthCode])
            let slot = lengthCode &- 257
            bits |=
                UInt64(truncatingIfNeeded: lengthIndex &- Int(truncatingIfNeeded: lengthBases[slot]))
                &<< UInt64(truncatingIfNeeded: bitCount)
            bitCount &+= Int(truncatingIfNeeded: lengthExtra[slot])
            let distanceIndex = Int(truncatingIfNeeded: match & 0x7FFF)
            let distanceCode = DeflateTables.distanceSymbol(distanceIndex, in: distanceSymbol)
            bits |= UInt64(distanceCodes[distanceCode]) &<< UInt64(truncatingIfNeeded: bitCount)
            bitCount &+= Int(truncatingIfNeeded: distanceLengths[distanceCode])
            bits |=
                UInt64(truncatingIfNeeded: distanceIndex &- Int(truncatingIfNeeded: distanceBases[distanceCode]))
                &<< UInt64(truncatingIfNeeded: bitCount)
            bitCount &+= Int(truncatingIfNeeded: distanceExtra[distanceCode])
            // At most 7 + 48 bits are pending.
            storeWholeBytes()
            position &+= lengthIndex &+ 3
        }
        writeLiterals(upTo: end)
        writer.bits = bits
        writer.bitCount = bitCount
        writer.out = out
        writer.put(UInt64(literalCodes[DeflateTables.endOfBlock]), Int(literalLengths[DeflateTables.endOfBlock]))
        writer.flush()
    }
}
