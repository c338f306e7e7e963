import Foundation
import SportelloCore

/// Byte-level and JSON-aware mutations of seed inputs, for the seeded fuzz harness (`sportello-fuzz`) and
/// the fuzz tests.
public enum FuzzMutator {
    /// Bytes that change how parsers split things: NUL, TAB, LF, CR, space, colon, %, +, =, &, '0', DEL, and the
    /// first bytes of invalid or multi-byte UTF-8.
    public static let interesting: [UInt8] = [
        0, 9, 10, 13, 32, 58, 37, 43, 61, 38, 48, 0x7F, 0x80, 0xC3, 0xFF, 0x2F, 0x3F, 0xE2, 0xF0,
    ]

    /// Up to `rounds` random edits: flip, insert, delete, duplicate a slice, truncate, bloat.
    public static func mutate(_ input: [UInt8], rounds: Int = 3, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 0...max(0, rounds), using: &rng) {
            guard !bytes.isEmpty else {
                bytes.append(interesting.randomElement(using: &rng) ?? 0)
                continue
            }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.insert(interesting.randomElement(using: &rng) ?? 0, at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes[at] = interesting.randomElement(using: &rng) ?? 0
            case 4:  // duplicate a slice (a header line, a form field)
                let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            case 5: bytes = Array(bytes[0..<at])
            default:
                bytes.insert(
                    contentsOf: [UInt8](repeating: UInt8(ascii: "A"), count: Int.random(in: 1...3000, using: &rng)),
                    at: at)
            }
        }
        return bytes
    }

    /// Parses `input` as JSON and changes a few values (other types, extreme numbers, long or odd strings,
    /// removed keys, emptied or repeated lists), so the configuration loader sees documents that are valid
    /// JSON but wrong in every other way. Falls back to byte mutations for input that is not JSON.
    public static func mutateJSON(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]) else {
            return mutate(input, &rng)
        }
        var value: Any = document
        for _ in 0..<Int.random(in: 1...4, using: &rng) { value = mutateNode(value, depth: 0, &rng) }
        return JSONWriter.bytes(value)
    }

    private static var oddValues: [Any] {
        [
            "", " ", "25:61-08:00", "2026-02-30", "x".padding(toLength: 5000, withPad: "é", startingAt: 0), "\u{0}",
            "../../etc/passwd",
            -1, 0, 1e300, -1e300, Int.max, 3.5, true, false, [Any](), [String: Any](), ["mon": ["08:00-07:00"]],
            "<script>",
        ]
    }

    private static func mutateNode(_ node: Any, depth: Int, _ rng: inout SplitMix64) -> Any {
        if depth > 0, Int.random(in: 0..<6, using: &rng) == 0 { return oddValues.randomElement(using: &rng) ?? "" }
        switch node {
        case var object as [String: Any]:
            guard let key = object.keys.sorted().randomElement(using: &rng) else { return node }
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: object.removeValue(forKey: key)
            case 1: object[key + "x"] = object[key]
            default: object[key] = mutateNode(object[key] as Any, depth: depth + 1, &rng)
            }
            return object
        case var array as [Any]:
            guard !array.isEmpty else { return [oddValues.randomElement(using: &rng) ?? ""] }
            let index = Int.random(in: 0..<array.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: array.remove(at: index)
            case 1: array.append(array[index])
            default: array[index] = mutateNode(array[index], depth: depth + 1, &rng)
            }
            return array
        default:
            return oddValues.randomElement(using: &rng) ?? ""
        }
    }
}
