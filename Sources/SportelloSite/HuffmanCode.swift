/// Length-limited canonical Huffman codes for deflate's blocks (RFC 1951 §3.2.2), built from symbol frequencies.
///
/// Lengths come from Moffat and Katajainen's in-place minimum-redundancy algorithm over the used symbols sorted
/// by frequency; codes longer than the limit are then folded back by moving leaves up the tree (the number of
/// codes of each length changes, the Kraft sum stays exactly one), so the code is always complete: zlib's
/// `inflate` refuses an incomplete code. Fewer than two used symbols still get two codes of one bit.
enum HuffmanCode {
    /// Fills `lengths[0..<count]` with code lengths of at most `limit` bits for `frequencies[0..<count]`
    /// (0 for an unused symbol). `scratch` holds at least `count` elements.
    static func buildLengths(
        frequencies: UnsafePointer<UInt32>, count: Int, limit: Int, lengths: UnsafeMutablePointer<UInt8>,
        scratch: UnsafeMutablePointer<UInt64>
    ) {
        lengths.update(repeating: 0, count: count)
        let used = sortUsedSymbols(frequencies: frequencies, count: count, into: scratch)
        if used < 2 {
            let first = used == 1 ? Int(scratch[0] & 0xFFFF) : 0
            lengths[first] = 1
            lengths[first == 0 ? 1 : 0] = 1
            return
        }
        let sorted = UnsafeMutableBufferPointer(start: scratch, count: used)
        // The algorithm works in place on the frequencies; the symbols stay in `scratch`'s low bits.
        // One element more than the depths: the sentinel `minimumRedundancyDepths` reads past the last leaf.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: used + limit + 2) { memory in
            let depths = UnsafeMutableBufferPointer(rebasing: memory[0..<used])
            for index in 0..<used { depths[index] = Int(sorted[index] >> 16) }
            minimumRedundancyDepths(UnsafeMutableBufferPointer(rebasing: memory[0...used]))
            // Count the codes of each length, longer ones counted at the limit, then make the sum exact again.
            let lengthCounts = UnsafeMutableBufferPointer(rebasing: memory[(used + 1)...])
            lengthCounts.update(repeating: 0)
            var overflow = false
            for depth in depths {
                if depth > limit { overflow = true }
                lengthCounts[min(depth, limit)] += 1
            }
            if overflow {
                var kraft = 0
                for length in 1...limit { kraft += lengthCounts[length] << (limit - length) }
                // Each round drops a leaf from the deepest level and splits a shallower one in two: one unit less.
                while kraft > 1 << limit {
                    lengthCounts[limit] -= 1
                    for length in stride(from: limit - 1, through: 1, by: -1) where lengthCounts[length] > 0 {
                        lengthCounts[length] -= 1
                        lengthCounts[length + 1] += 2
                        break
                    }
                    kraft -= 1
                }
            }
            // The rarest symbols take the longest codes.
            var next = 0
            for length in stride(from: limit, through: 1, by: -1) {
                for _ in 0..<lengthCounts[length] {
                    lengths[Int(sorted[next] & 0xFFFF)] = UInt8(length)
                    next += 1
                }
            }
        }
    }

    /// Writes the used symbols of `frequencies[0..<count]` to `keys` as frequency in the high bits and symbol in
    /// the low 16, ascending (equal frequencies by symbol), and returns how many there are. A block's frequencies
    /// are mostly small: those below `countedBelow` are placed by a counting sort in one pass over the symbols,
    /// the few larger ones sorted apart and put after them. The shell sort over all used symbols it replaces
    /// was the largest part of building a block's codes.
    static func sortUsedSymbols(
        frequencies: UnsafePointer<UInt32>, count: Int, into keys: UnsafeMutablePointer<UInt64>
    ) -> Int {
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: countedBelow) { starts in
            starts.update(repeating: 0)
            var large = 0
            for symbol in 0..<count {
                let frequency = frequencies[symbol]
                if frequency >= UInt32(countedBelow) {
                    large &+= 1
                } else if frequency != 0 {
                    starts[Int(frequency)] &+= 1
                }
            }
            var small = 0
            for frequency in 1..<countedBelow {
                let here = starts[frequency]
                starts[frequency] = UInt16(truncatingIfNeeded: small)
                small &+= Int(here)
            }
            var next = small
            for symbol in 0..<count {
                let frequency = frequencies[symbol]
                guard frequency != 0 else { continue }
                let key = UInt64(frequency) << 16 | UInt64(symbol)
                if frequency >= UInt32(countedBelow) {
                    keys[next] = key
                    next &+= 1
                } else {
                    keys[Int(starts[Int(frequency)])] = key
                    starts[Int(frequency)] &+= 1
                }
            }
            if large > 1 { shellSort(UnsafeMutableBufferPointer(start: keys + small, count: large)) }
            return next
        }
    }

    /// The frequencies below which `sortUsedSymbols` counts instead of comparing.
    private static let countedBelow = 64

    /// Sorts a few hundred keys at most in place, without the allocation of the standard library's sort.
    private static func shellSort(_ keys: UnsafeMutableBufferPointer<UInt64>) {
        for gap in [57, 23, 10, 4, 1] where gap < keys.count {
            for index in gap..<keys.count {
                let key = keys[index]
                var hole = index
                while hole >= gap && keys[hole - gap] > key {
                    keys[hole] = keys[hole - gap]
                    hole -= gap
                }
                keys[hole] = key
            }
        }
    }

    /// Replaces the ascending frequencies in `memory` (at least two, and one element more: scratch) by the depth
    /// of each leaf in a minimum-redundancy tree.
    private static func minimumRedundancyDepths(_ memory: UnsafeMutableBufferPointer<Int>) {
        guard let values = memory.baseAddress else { return }
        let count = memory.count - 1
        // Phase 1: inner nodes' weights, each pointing to its parent. Each step takes the lighter of the next
        // inner node and the next leaf by selects rather than branches (which of the two wins is data, and
        // its mispredictions were most of the time here); the leaf past the last weighs `Int.max`, so it loses.
        values[count] = Int.max
        values[0] += values[1]
        var root = 0
        var leaf = 2
        for next in 1..<(count - 1) {
            // The first child: an inner node is always there (the one made last).
            var inner = values[root]
            var leafWeight = values[leaf]
            var takesInner = inner < leafWeight
            var weight = takesInner ? inner : leafWeight
            values[root] = takesInner ? next : inner
            root &+= takesInner ? 1 : 0
            leaf &+= takesInner ? 0 : 1
            // The second child: the node being made is not a candidate (its slot is written last).
            inner = root < next ? values[root] : Int.max
            leafWeight = values[leaf]
            takesInner = inner < leafWeight
            weight &+= takesInner ? inner : leafWeight
            values[root] = takesInner ? next : inner
            root &+= takesInner ? 1 : 0
            leaf &+= takesInner ? 0 : 1
            values[next] = weight
        }
        // Phase 2: inner nodes' depths.
        values[count - 2] = 0
        if count >= 3 {
            for next in stride(from: count - 3, through: 0, by: -1) { values[next] = values[values[next]] + 1 }
        }
        // Phase 3: leaves' depths, the most frequent (last) first.
        var available = 1
        var usedNodes = 0
        var depth = 0
        var node = count - 2
        var next = count - 1
        while available > 0 {
            while node >= 0 && values[node] == depth {
                usedNodes += 1
                node -= 1
            }
            while available > usedNodes {
                values[next] = depth
                next -= 1
                available -= 1
            }
            available = 2 * usedNodes
            depth += 1
            usedNodes = 0
        }
    }

    /// Canonical codes for `lengths[0..<count]`, bit-reversed as deflate writes them (first bit lowest).
    static func buildCodes(lengths: UnsafePointer<UInt8>, count: Int, codes: UnsafeMutablePointer<UInt32>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 32) { memory in
            memory.update(repeating: 0)
            let lengthCounts = UnsafeMutableBufferPointer(rebasing: memory[0..<16])
            let nextCode = UnsafeMutableBufferPointer(rebasing: memory[16..<32])
            for symbol in 0..<count { lengthCounts[Int(lengths[symbol])] += 1 }
            lengthCounts[0] = 0
            var code: UInt32 = 0
            for length in 1..<16 {
                code = (code + lengthCounts[length - 1]) << 1
                nextCode[length] = code
            }
            for symbol in 0..<count {
                let length = Int(lengths[symbol])
                guard length > 0 else {
                    codes[symbol] = 0
                    continue
                }
                // The code's bits mirrored across 32 bits, then shifted down to its length.
                var reversed = nextCode[length]
                nextCode[length] += 1
                reversed = (reversed &>> 1) & 0x5555_5555 | (reversed & 0x5555_5555) &<< 1
                reversed = (reversed &>> 2) & 0x3333_3333 | (reversed & 0x3333_3333) &<< 2
                reversed = (reversed &>> 4) & 0x0F0F_0F0F | (reversed & 0x0F0F_0F0F) &<< 4
                codes[symbol] = reversed.byteSwapped &>> UInt32(32 - length)
            }
        }
    }
}
