import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// Values for spreadsheets as Italian Excel opens them: `;`-separated, UTF-8 with a byte order mark, CRLF line
/// ends. Every field is quoted, line breaks and other control characters in free text become spaces (a break
/// could start a new row for one program and not another), and a cell that would start with = + - @ (also
/// after spaces, also their full-width forms) gets a leading apostrophe, so text typed by a citizen can never
/// run as a formula.
enum CSV {
    /// Written once at the start of a file: without it Excel reads UTF-8 as the local code page.
    static let byteOrderMark = "\u{FEFF}"

    static func line(_ fields: [String]) -> String {
        fields.map { field in
            var text = String(
                String.UnicodeScalarView(
                    field.unicodeScalars.map { scalar in
                        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
                            ? " " : scalar
                    }))
            // Past any blank or invisible lead (no-break and ideographic spaces, a byte order mark, zero-width
            // characters), which a spreadsheet or an import may drop before it reads the first character.
            let first = text.unicodeScalars.first {
                !$0.properties.isWhitespace && $0.properties.generalCategory != .format
            }
            if let first, "=+-@＝＋－＠".unicodeScalars.contains(first) { text = "'" + text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ";") + "\r\n"
    }

    /// A decimal number as Italian Excel reads it (comma as the decimal separator).
    static func decimal(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", value).replacingOccurrences(of: ".", with: ",")
    }
}
