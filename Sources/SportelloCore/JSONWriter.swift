import Foundation

/// Writes JSON answers and stored payloads: objects with sorted keys (stable bytes), strings escaped so the
/// text is also safe inside HTML (`<`, `>`, `&` as \u escapes). Foundation's JSONSerialization bridges every
/// value through NSObject on Linux, which made it the costliest part of a refused booking's answer.
public enum JSONWriter {
    /// Strings, integers, doubles, booleans, arrays and string-keyed dictionaries of them, nested; anything
    /// else is written as null.
    public static func bytes(_ value: Any) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// The same compact JSON as `bytes(_:)`, as text.
    public static func string(_ value: Any) -> String { String(decoding: bytes(value), as: UTF8.self) }

    private static func write(_ value: Any, into out: inout [UInt8]) {
        switch value {
        case let text as String: writeString(text, into: &out)
        case let fragment as Fragment: out.append(contentsOf: fragment.bytes)
        case let flag as Bool: appendBool(flag, to: &out)
        case let number as Int: appendInteger(number, to: &out)
        case let number as Int64: out.append(contentsOf: String(number).utf8)
        case let number as Int32: out.append(contentsOf: String(number).utf8)
        case let number as Double:
            if number.isFinite {
                out.append(
                    contentsOf: (number == number.rounded() && abs(number) < 1e15
                        ? String(Int64(number)) : String(number)).utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            for (index, (key, member)) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            out.append(contentsOf: "null".utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0x7F:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
