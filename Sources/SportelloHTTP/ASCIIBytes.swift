import Foundation

// Byte-level helpers shared by the HTTP parsers: ASCII case folding and percent-decoding.

@inline(__always) func asciiLower(_ byte: UInt8) -> UInt8 {
    byte >= 65 && byte <= 90 ? byte | 0x20 : byte
}

func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let a = a.utf8
    let b = b.utf8
    guard a.count == b.count else { return false }
    // Header names are compared several times per request: over the bytes in place when they are contiguous
    // (native strings always are), not through generic iterators.
    let compared = a.withContiguousStorageIfAvailable { left in
        b.withContiguousStorageIfAvailable { right in
            for index in 0..<left.count where asciiLower(left[index]) != asciiLower(right[index]) { return false }
            return true
        }
    }
    if let compared, let compared { return compared }
    return zip(a, b).allSatisfy { asciiLower($0) == asciiLower($1) }
}

@inline(__always) func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case 48...57: byte - 48
    case 65...70: byte - 55
    case 97...102: byte - 87
    default: nil
    }
}

/// `%XX` decoding (and `+` → space for forms). Nil on a malformed escape.
func percentDecode<C: Collection>(_ bytes: C, plusAsSpace: Bool) -> [UInt8]? where C.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            let h = bytes.index(after: index)
            guard h != bytes.endIndex, let high = hexValue(bytes[h]) else { return nil }
            let l = bytes.index(after: h)
            guard l != bytes.endIndex, let low = hexValue(bytes[l]) else { return nil }
            out.append(high << 4 | low)
            index = bytes.index(after: l)
        } else {
            out.append(plusAsSpace && byte == UInt8(ascii: "+") ? 0x20 : byte)
            index = bytes.index(after: index)
        }
    }
    return out
}
