import Testing

@testable import SportelloCore

/// Check character computed independently of the code under test, with the classic lookup-string trick:
/// the odd-position value of a character is the index of its letter in "BAKPLCQDREVOSFTGUHMINJWZYX", the
/// even-position value is its index in the alphabet; digits count as A…J.
private func referenceCheckCharacter(_ first15: String) -> Character {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    let oddOrder = Array("BAKPLCQDREVOSFTGUHMINJWZYX")
    var total = 0
    for (i, raw) in first15.enumerated() {
        let letter = raw.isNumber ? alphabet[raw.wholeNumberValue ?? 0] : raw
        if (i + 1) % 2 == 1 {
            total += oddOrder.firstIndex(of: letter) ?? 0
        } else {
            total += alphabet.firstIndex(of: letter) ?? 0
        }
    }
    return alphabet[total % 26]
}

private func cfError(_ text: String) -> CodiceFiscaleError? {
    do {
        _ = try CodiceFiscale(validating: text)
        return nil
    } catch {
        return error
    }
}

/// Public, widely used example codes and hand-checked variants (check characters also verified with a
/// separate script when these tests were written).
private let knownValid: [(code: String, year: Int, month: Int, day: Int, female: Bool)] = [
    ("RSSMRA85T10A562S", 85, 12, 10, false),  // Mario Rossi, the textbook example
    ("MRTMTT91D08F205J", 91, 4, 8, false),  // Matteo Moretti, a common example
    ("BNCGLI80A41H501C", 80, 1, 1, true),  // female: day 01 + 40
    ("VRDLCU72E68L219F", 72, 5, 28, true),  // female: day 28 + 40
    ("RSSMRA80B29H501Q", 80, 2, 29, false),  // 29 February
    ("RSSMRA80B69H501U", 80, 2, 29, true),  // 29 February, female
    ("RSSMRA80D30H501E", 80, 4, 30, false),  // 30 April
    ("RSSMRA80D70H501I", 80, 4, 30, true),
    ("RSSMRA80A31H501X", 80, 1, 31, false),
    ("RSSMRA80A71H501B", 80, 1, 31, true),
    ("RSSMRA80A01H501U", 80, 1, 1, false),
    // Omocodic variants of RSSMRA85T10A562S: digits replaced right to left by L M N P Q R S T U V.
    ("RSSMRA85T10A56NH", 85, 12, 10, false),
    ("RSSMRA85T10A5SNT", 85, 12, 10, false),
    ("RSSMRA85T10ARSNO", 85, 12, 10, false),
    ("RSSMRA85T1LARSNR", 85, 12, 10, false),
    ("RSSMRA85TMLARSNC", 85, 12, 10, false),
    ("RSSMRA8RTMLARSNO", 85, 12, 10, false),
    ("RSSMRAURTMLARSNL", 85, 12, 10, false),
    ("MRTMTT91D08F20RE", 91, 4, 8, false),
    ("MRTMTT91D08FNLRE", 91, 4, 8, false),
    ("MRTMTTVMDLUFNLRM", 91, 4, 8, false),
]

@Suite("Codice fiscale")
struct CodiceFiscaleTests {
    @Test func referenceHelperAgreesWithHardCodedCodes() {
        for entry in knownValid {
            #expect(referenceCheckCharacter(String(entry.code.prefix(15))) == entry.code.last, "\(entry.code)")
        }
    }

    @Test func knownValidCodesDecode() throws {
        for entry in knownValid {
            let cf = try CodiceFiscale(validating: entry.code)
            #expect(cf.value == entry.code)
            #expect(cf.description == entry.code)
            #expect(cf.birthYearTwoDigits == entry.year, "\(entry.code)")
            #expect(cf.birthMonth == entry.month, "\(entry.code)")
            #expect(cf.birthDay == entry.day, "\(entry.code)")
            #expect(cf.isFemale == entry.female, "\(entry.code)")
        }
    }

    @Test func lowercaseAndSurroundingWhitespaceAreCanonicalised() throws {
        let expected = try CodiceFiscale(validating: "RSSMRA85T10A562S")
        for input in [
            "rssmra85t10a562s", "  RSSMRA85T10A562S  ", "\tRssMra85t10a562S\n", "\r\n rssmra85T10A562s \u{00A0}",
        ] {
            let cf = try CodiceFiscale(validating: input)
            #expect(cf == expected)
            #expect(cf.value == "RSSMRA85T10A562S")
        }
    }

    @Test func errorCases() {
        #expect(cfError("") == .empty)
        #expect(cfError("   \n\t ") == .empty)
        #expect(cfError("RSSMRA85T10A562") == .wrongLength(15))
        #expect(cfError("RSSMRA85T10A562SX") == .wrongLength(17))
        #expect(cfError("R") == .wrongLength(1))
        #expect(cfError("RSSMRA85 T10A562S") == .wrongLength(17))
        #expect(cfError("RSSMRA85\u{200B}T10A562S") == .wrongLength(17))  // zero-width space
        #expect(cfError("1SSMRA85T10A562S") == .invalidCharacter(position: 1))
        #expect(cfError("RSSMRA8AT10A562S") == .invalidCharacter(position: 8))  // A is not an omocodia letter
        #expect(cfError("RSSMRA85110A562S") == .invalidCharacter(position: 9))
        #expect(cfError("RSSMRA85T10A562 ") == .wrongLength(15))  // trailing space is trimmed
        #expect(cfError("RSSMRA85 10A562S") == .invalidCharacter(position: 9))
        #expect(cfError("RSSMRA85T10A5624") == .invalidCharacter(position: 16))
        #expect(cfError("RSSMRA85T10A562É") == .invalidCharacter(position: 16))
        #expect(cfError("RSSMRA85T10A562E\u{301}") == .invalidCharacter(position: 16))  // E + combining accent
        #expect(cfError("ŔSSMRA85T10A562S") == .invalidCharacter(position: 1))
        #expect(cfError("ＲＳＳＭＲＡ８５Ｔ１０Ａ５６２Ｓ") == .invalidCharacter(position: 1))  // full-width
        #expect(cfError("RSSMRA85T10A562😀") == .invalidCharacter(position: 16))
        #expect(cfError("RSSMRA85T1\u{0}A562S") == .invalidCharacter(position: 11))
        #expect(cfError("RSSMRA80F10H501I") == .invalidMonth)  // F is not a month letter
        #expect(cfError("RSSMRA80Z10H501I") == .invalidMonth)
        #expect(cfError("RSSMRA80D31H501D") == .invalidDay)  // 31 April
        #expect(cfError("RSSMRA80B30H501X") == .invalidDay)  // 30 February
        #expect(cfError("RSSMRA80A32H501C") == .invalidDay)
        #expect(cfError("RSSMRA80A00H501V") == .invalidDay)
        #expect(cfError("RSSMRA80A40H501Z") == .invalidDay)
        #expect(cfError("RSSMRA80A72H501G") == .invalidDay)
        #expect(cfError("RSSMRA80D71H501H") == .invalidDay)  // 31 April, female
        #expect(cfError("RSSMRA85T10A562Z") == .wrongCheckCharacter)
        #expect(cfError("RSSMRA85T10A562T") == .wrongCheckCharacter)
    }

    @Test func errorCodesAreStable() {
        #expect(CodiceFiscaleError.empty.code == "cf.empty")
        #expect(CodiceFiscaleError.wrongLength(3).code == "cf.length")
        #expect(CodiceFiscaleError.invalidCharacter(position: 2).code == "cf.character")
        #expect(CodiceFiscaleError.invalidMonth.code == "cf.month")
        #expect(CodiceFiscaleError.invalidDay.code == "cf.day")
        #expect(CodiceFiscaleError.wrongCheckCharacter.code == "cf.check")
        #expect(Set(CodiceFiscaleError.allCodes).count == 6)
    }

    @Test func hugeAndOddInputDoesNotCrash() {
        #expect(cfError(String(repeating: "A", count: 1_000_000)) == .wrongLength(1_000_000))
        #expect(cfError(String(repeating: "😀", count: 16)) == .invalidCharacter(position: 1))
        #expect(cfError(String(repeating: "e\u{301}\u{302}", count: 16)) == .invalidCharacter(position: 1))
        #expect(cfError(String(repeating: "\u{0}", count: 16)) == .invalidCharacter(position: 1))
        #expect(cfError("\u{FEFF}RSSMRA85T10A562S") != nil)  // BOM is not whitespace
    }

    /// Every single-character substitution of a valid code is rejected.
    @Test func everySingleCharacterCorruptionIsRejected() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + [" ", "-", "*", "é", "Ø", "\u{0}", "😀"]
        let codes = [
            "RSSMRA85T10A562S", "MRTMTT91D08F205J", "BNCGLI80A41H501C", "RSSMRA85T10A56NH", "MRTMTTVMDLUFNLRM",
        ]
        var checked = 0
        for code in codes {
            let original = Array(code)
            for position in original.indices {
                for replacement in alphabet where replacement != original[position] {
                    var corrupted = original
                    corrupted[position] = replacement
                    let text = String(corrupted)
                    #expect(cfError(text) != nil, "\(text) should be rejected")
                    checked += 1
                }
            }
        }
        #expect(checked == 5 * 16 * (alphabet.count - 1))
    }

    /// Generated codes across months, days, sexes and omocodia patterns, check character from the
    /// reference helper: all accepted and decoded; the same code with another check letter is rejected.
    @Test func generatedCodesRoundTrip() throws {
        var state: UInt64 = 0x5EED_CAFE
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let monthLetters = Array("ABCDEHLMPRST")
        let monthLengths = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let omocodia = Array("LMNPQRSTUV")
        for _ in 0..<2000 {
            let year = next(100)
            let month = next(12) + 1
            let day = next(monthLengths[month - 1]) + 1
            let female = next(2) == 1
            var chars: [Character] = (0..<6).map { _ in letters[next(26)] }
            chars += Array(String(format2(year)))
            chars.append(monthLetters[month - 1])
            chars += Array(format2(female ? day + 40 : day))
            chars.append(letters[next(26)])
            chars += Array(String(next(1000) + 1000).dropFirst())
            for position in [6, 7, 9, 10, 12, 13, 14] where next(4) == 0 {
                chars[position] = omocodia[chars[position].wholeNumberValue ?? 0]
            }
            let first15 = String(chars)
            let check = referenceCheckCharacter(first15)
            let cf = try CodiceFiscale(validating: first15 + String(check))
            #expect(cf.birthYearTwoDigits == year)
            #expect(cf.birthMonth == month)
            #expect(cf.birthDay == day)
            #expect(cf.isFemale == female)

            let wrong = letters[((letters.firstIndex(of: check) ?? 0) + 1 + next(25)) % 26]
            #expect(cfError(first15 + String(wrong)) == .wrongCheckCharacter)
        }
    }
}

private func format2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
