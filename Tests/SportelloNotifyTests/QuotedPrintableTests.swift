import Foundation
import Testing

@testable import SportelloNotify

/// The byte-wise quoted-printable (issue 16: the HTML part was most of a mail's composing CPU) writes exactly what
/// the character-wise one did.
@Suite struct QuotedPrintableTests {
    /// The encoder as it was before, kept as the reference.
    static func reference(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var output: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            var encoded = ""
            var width = 0
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let piece: String
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast) {
                    piece = String(UnicodeScalar(byte))
                } else {
                    piece = String(format: "=%02X", byte)
                }
                if width + piece.count > 75 {
                    encoded += "=\r\n"
                    width = 0
                }
                encoded += piece
                width += piece.count
            }
            output.append(encoded)
        }
        return output.joined(separator: "\r\n")
    }

    @Test func itMatchesTheReferenceOnAwkwardAndRandomText() {
        let alphabet: [String] = ["a", " ", "\t", "=", "\r", "\n", "\r\n", "è", "€", "<p>", ".", "~", "\u{7f}", "x"]
        var generator = SystemRandomNumberGenerator()
        var samples = ["", "\r", "\n", "\r\r\n\n", " ", "a \r\n", String(repeating: "é", count: 60)]
        for _ in 0..<300 {
            samples.append(
                (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator) ?? "a"
                }.joined())
        }
        for sample in samples {
            #expect(MailMessage.quotedPrintable(sample) == Self.reference(sample), "\(Array(sample.utf8))")
        }
    }
}
