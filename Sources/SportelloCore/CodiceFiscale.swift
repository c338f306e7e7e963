import Foundation

/// An Italian personal codice fiscale (16 characters), validated for format, month letter, day
/// (with +40 for women), omocodia and check character (DM 23 dicembre 1976, Agenzia delle Entrate).
///
/// Layout, 0-based indices:
/// ```
/// 0-2  surname letters      3-5  name letters
/// 6-7  year (2 digits)      8    month letter
/// 9-10 day (+40 women)      11   place letter   12-14 place digits
/// 15   check character
/// ```
/// The digit positions 6, 7, 9, 10, 12, 13, 14 may hold the omocodia letters L M N P Q R S T U V (= 0…9),
/// used when two people would otherwise get the same code. We accept a letter at any of those positions and do
/// not check the official right-to-left order of substitution.
///
/// The temporary 11-digit numeric code (codice fiscale provvisorio) is not accepted.
public struct CodiceFiscale: Hashable, Sendable, CustomStringConvertible {
    /// Canonical form: 16 ASCII characters, uppercase.
    public let value: String

    /// Trims surrounding whitespace and newlines, uppercases ASCII letters, then validates.
    /// Errors come in this order: empty, length, character (first bad position), month, day, check character.
    public init(validating text: String) throws(CodiceFiscaleError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { throw .empty }

        // Count user-perceived characters; keep the first 16 as uppercase ASCII bytes (nil = not ASCII).
        var bytes: [UInt8?] = []
        bytes.reserveCapacity(16)
        var count = 0
        for character in trimmed {
            count += 1
            guard count <= 16 else { continue }
            // Only a single ASCII scalar can be valid; "é", an emoji or "E" + combining accent cannot.
            if character.unicodeScalars.count == 1, let ascii = character.asciiValue {
                bytes.append(ascii >= 0x61 && ascii <= 0x7A ? ascii - 0x20 : ascii)
            } else {
                bytes.append(nil)
            }
        }
        if count != 16 { throw .wrongLength(count) }
        var valid: [UInt8] = []
        valid.reserveCapacity(16)
        for (index, byte) in bytes.enumerated() {
            guard let byte, Self.accepts(byte, at: index) else { throw .invalidCharacter(position: index + 1) }
            valid.append(byte)
        }

        guard let month = Self.month(forLetter: valid[8]) else { throw .invalidMonth }
        let rawDay = Self.digitValue(valid[9]) * 10 + Self.digitValue(valid[10])
        let day = rawDay > 40 ? rawDay - 40 : rawDay
        // The year is only two digits, so 29 February is accepted whatever the century.
        let maxDay = month == 2 ? 29 : CivilDate.daysIn(month: month, year: 2000)
        guard (1...31).contains(rawDay) || (41...71).contains(rawDay), day <= maxDay else { throw .invalidDay }

        guard Self.checkCharacter(for: valid[0..<15]) == valid[15] else { throw .wrongCheckCharacter }
        self.value = String(decoding: valid, as: UTF8.self)
    }

    /// The canonical code (uppercase, no spaces).
    public var description: String { value }

    /// 1…12.
    public var birthMonth: Int { Self.month(forLetter: byte(8)) ?? 0 }

    /// 1…31, the calendar day (the +40 for women removed).
    public var birthDay: Int {
        let raw = rawDay
        return raw > 40 ? raw - 40 : raw
    }

    /// True when the day field is 41…71.
    public var isFemale: Bool { rawDay > 40 }

    /// 0…99 (the century is not in the code).
    public var birthYearTwoDigits: Int { Self.digitValue(byte(6)) * 10 + Self.digitValue(byte(7)) }

    // MARK: - Internals

    private var rawDay: Int { Self.digitValue(byte(9)) * 10 + Self.digitValue(byte(10)) }

    /// The byte at a 0-based index of `value` (always 16 ASCII bytes once initialised).
    private func byte(_ index: Int) -> UInt8 {
        let utf8 = Array(value.utf8)
        return utf8.indices.contains(index) ? utf8[index] : 0
    }

    /// Indices that hold a digit or an omocodia letter.
    static let numericPositions: Set<Int> = [6, 7, 9, 10, 12, 13, 14]

    /// The omocodia letters standing for 0…9.
    static let omocodiaLetters: [UInt8] = Array("LMNPQRSTUV".utf8)

    /// Month letters for January…December.
    static let monthLetters: [UInt8] = Array("ABCDEHLMPRST".utf8)

    private static func isUpperLetter(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func accepts(_ byte: UInt8, at index: Int) -> Bool {
        if numericPositions.contains(index) {
            return isDigit(byte) || omocodiaLetters.contains(byte)
        }
        return isUpperLetter(byte)
    }

    /// The value 0…9 of a digit or omocodia letter; 0 for anything else (callers validate first).
    static func digitValue(_ byte: UInt8) -> Int {
        if isDigit(byte) { return Int(byte - 0x30) }
        return omocodiaLetters.firstIndex(of: byte) ?? 0
    }

    static func month(forLetter byte: UInt8) -> Int? {
        monthLetters.firstIndex(of: byte).map { $0 + 1 }
    }

    /// Values for characters in odd positions (1st, 3rd, … 15th), indexed by letter A…Z;
    /// digits 0…9 take the value of A…J.
    private static let oddValues: [Int] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21,  // A B C D E F G H I J
        2, 4, 18, 20, 11, 3, 6, 8, 12, 14,  // K L M N O P Q R S T
        16, 10, 22, 25, 24, 23,  // U V W X Y Z
    ]

    /// The check character (uppercase ASCII) for the first 15 characters, which must already be valid.
    static func checkCharacter(for first15: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, byte) in first15.enumerated() {
            // Digits 0…9 count as A…J in both tables.
            let index = isDigit(byte) ? Int(byte - 0x30) : (isUpperLetter(byte) ? Int(byte - 0x41) : 0)
            // offset 0 is the 1st character, an odd position.
            sum += offset % 2 == 0 ? oddValues[index] : index
        }
        return UInt8(0x41 + sum % 26)
    }
}
