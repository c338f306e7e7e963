import Foundation
import Testing

@testable import SportelloCore

@Suite struct JSONWriterTests {
    @Test func objectsHaveSortedKeysAndNestedValues() {
        let text = JSONWriter.string([
            "b": 1, "a": ["x", true, Int64(-7), 2.5] as [Any], "c": ["k": "v"], "d": [[String: Any]](),
        ])
        #expect(text == #"{"a":["x",true,-7,2.5],"b":1,"c":{"k":"v"},"d":[]}"#)
    }

    @Test(arguments: [
        "plain", "virgolette \" e \\ barra", "a capo\nr\r\ttab", "\u{0}\u{1F}\u{7F}",
        "<script>alert('x')</script> & co",
        "Forlì, perché è così — 🇮🇹", "/percorso/", "",
    ])
    func stringsRoundTripThroughARealParser(_ value: String) throws {
        let bytes = JSONWriter.bytes(["value": value, "list": [value]])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["value"] as? String == value)
        #expect((parsed["list"] as? [String])?.first == value)
        // Safe inside HTML, and no raw control character.
        #expect(
            !bytes.contains {
                $0 < 0x20 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&")
            })
    }

    @Test func numbersAndUnsupportedValues() {
        #expect(JSONWriter.string([1.0, 0.1, Double.nan, Int.max] as [Any]) == "[1,0.1,null,\(Int.max)]")
        #expect(JSONWriter.string(Date()) == "null")
    }
}
