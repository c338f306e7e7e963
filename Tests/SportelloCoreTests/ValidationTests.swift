import Testing

@testable import SportelloCore

private func failure<T>(_ body: () throws(FieldError) -> T) -> FieldError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("Text normalisation")
struct TextNormalizerTests {
    @Test func trimsAndComposes() {
        #expect(TextNormalizer.normalize("  Mario ") == "Mario")
        #expect(TextNormalizer.normalize("\n\t Mario Rossi \r\n") == "Mario Rossi")
        #expect(TextNormalizer.normalize("Mario  Rossi") == "Mario  Rossi")  // inner spaces kept
        #expect(TextNormalizer.normalize("MaRIO") == "MaRIO")  // case kept
        let nfd = "Nicolo\u{300}"
        let nfc = TextNormalizer.normalize(nfd)
        #expect(Array(nfc.unicodeScalars) == Array("Nicol\u{F2}".unicodeScalars))
        #expect(TextNormalizer.normalize("") == "")
        #expect(TextNormalizer.normalize(" \u{00A0}\u{3000}\n") == "")
    }

    /// ASCII text takes a path of its own (no Foundation): it trims exactly what Foundation trims.
    @Test func asciiIsTrimmedAsFoundationTrimsIt() {
        for byte in UInt8(0)...UInt8(0x7F) {
            let c = String(decoding: [byte], as: UTF8.self)
            for text in [c, "\(c)Mario\(c)", "\(c)\(c) Rossi", "Anna\(c)Maria", "x\(c)"] {
                let foundation = text.precomposedStringWithCanonicalMapping.trimmingCharacters(
                    in: .whitespacesAndNewlines)
                #expect(TextNormalizer.normalize(text) == foundation, "byte \(byte)")
            }
        }
        #expect(TextNormalizer.normalize("\u{0B}Mario\u{0C}") == "Mario")
    }
}

@Suite("Person names")
struct PersonNameTests {
    @Test(arguments: [
        "Mario", "Rossi", "D'Angelo", "D’Amico", "Anna-Maria", "De Luca", "Nicolò", "Zoë", "Łukasz",
        "Jean-Luc Ó Briain", "M. Rossi", "Иван", "李", "Müller-Lüdenscheidt", "O’Neill", "Dell'Orto",
    ])
    func accepted(name: String) throws {
        #expect(try FieldValidator.personName(name, field: "first_name") == name)
    }

    @Test func trimsAndNormalises() throws {
        #expect(try FieldValidator.personName("  Mario ", field: "first_name") == "Mario")
        let value = try FieldValidator.personName("Nicolo\u{300} ", field: "first_name")
        #expect(Array(value.unicodeScalars) == Array("Nicol\u{F2}".unicodeScalars))
        // A letter with a combining mark that has no precomposed form is still a letter.
        #expect(try FieldValidator.personName("Q\u{307}uinto", field: "first_name") == "Q\u{307}uinto")
    }

    @Test func lengthLimits() throws {
        let sixty = String(repeating: "a", count: 60)
        #expect(try FieldValidator.personName(sixty, field: "last_name") == sixty)
        #expect(
            failure { () throws(FieldError) in try FieldValidator.personName(sixty + "a", field: "last_name") }
                == FieldError(field: "last_name", code: "too_long"))
        #expect(
            failure { () throws(FieldError) in
                try FieldValidator.personName(String(repeating: "à", count: 1_000_000), field: "x")
            }?.code == "too_long")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.personName("", field: "first_name") }
                == FieldError(field: "first_name", code: "required"))
        #expect(
            failure { () throws(FieldError) in try FieldValidator.personName(" \n\t ", field: "first_name") }?.code
                == "required")
    }

    @Test(arguments: [
        "Mario2", "😀", "Mario 😀", "<script>", "Mario<", "Ma>rio", "Ma\u{0}rio", "Ma\trio", "Mario\nRossi",
        "-", "'", ". .", "Mario_Rossi", "Mario@", "Mario;", "Ma\u{202E}rio", "Mario\u{00A0}Rossi",
        "a\u{301}\u{302}\u{303}\u{304}\u{305}", "\u{301}Mario", "١٢٣", "Ⅻ", "Ma\u{200B}rio",
    ])
    func rejected(name: String) {
        #expect(
            failure { () throws(FieldError) in try FieldValidator.personName(name, field: "first_name") }
                == FieldError(field: "first_name", code: "name.invalid"))
    }
}

@Suite("Email")
struct EmailTests {
    @Test(arguments: [
        "mario.rossi@example.it", "a+tag@sub.domain.example.com", "o'brien@example.ie",
        "x@xn--perch-fsa.it", "user_name%x@example.co.uk", "a@b.co", "1234@123.example.org",
        "UPPER@example.it",
    ])
    func accepted(address: String) throws {
        #expect(try FieldValidator.email(address) == address)
    }

    @Test func trimsAndLowercasesTheDomain() throws {
        #expect(try FieldValidator.email("  Mario.Rossi@Example.IT \n") == "Mario.Rossi@example.it")
    }

    @Test func lengthLimits() throws {
        let local64 = String(repeating: "l", count: 64)
        let domain189 =
            String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63) + "."
            + String(repeating: "c", count: 61)
        let longest = local64 + "@" + domain189
        #expect(longest.count == 254)
        #expect(try FieldValidator.email(longest) == longest)
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email("l" + longest) }
                == FieldError(field: "email", code: "too_long"))
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email(local64 + "l@example.it") }?.code
                == "email.invalid")
        let label64 = String(repeating: "d", count: 64)
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email("a@\(label64).it") }?.code == "email.invalid")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email(String(repeating: "a", count: 1_000_000)) }?
                .code == "too_long")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email("") }
                == FieldError(field: "email", code: "required"))
    }

    @Test(arguments: [
        "mario", "mario@", "@example.it", "a@@b.it", "a@b@c.it", "mario@example", "mario@-example.it",
        "mario@example-.it", "mario@exa_mple.it", "mario@example.i", "mario@example.123", "mario rossi@example.it",
        ".mario@example.it", "mario.@example.it", "ma..rio@example.it", "mario@example..it", "mario@.example.it",
        "mario@example.it.", "mario@perché.it", "mariò@example.it", "\"quoted\"@example.it", "a|b@example.it",
        "a`b@example.it", "<a>@example.it", "a@example.it\nBcc: x@evil.it", "a,b@example.it", "a@[127.0.0.1]",
        "a@example.it😀", "a\u{0}@example.it",
    ])
    func rejected(address: String) {
        #expect(
            failure { () throws(FieldError) in try FieldValidator.email(address) }
                == FieldError(field: "email", code: "email.invalid"))
    }
}

@Suite("Phone")
struct PhoneTests {
    @Test(arguments: [
        ("333 123 4567", "+393331234567"), ("333-123-4567", "+393331234567"), ("333.123.4567", "+393331234567"),
        ("3331234567", "+393331234567"), ("+39 333 1234567", "+393331234567"), ("0039 333 1234567", "+393331234567"),
        ("+393331234567", "+393331234567"), ("333 123456", "+39333123456"),
        ("+39 06 1234 5678", "+390612345678"), ("06 12345678", "+390612345678"), ("0521/123456", "+390521123456"),
        ("02 1234567", "+39021234567"), ("(0039) 02-123.4567", "+39021234567"), ("0471 1234567", "+3904711234567"),
        ("+44 20 7946 0958", "+442079460958"), ("0044 20 7946 0958", "+442079460958"),
        ("+1 (202) 555-0123", "+12025550123"), ("+123456789012345", "+123456789012345"), ("+6834002", "+6834002"),
        ("  +41 44 668 18 00 ", "+41446681800"),
    ])
    func accepted(input: String, canonical: String) throws {
        #expect(try FieldValidator.phone(input) == canonical)
    }

    @Test(arguments: [
        "abc", "123", "800 123 456", "112", "+39 800 123456", "+39 333 12345678", "33312", "+", "++39333123456",
        "333+1234567", "+0 123 456 789", "+1234567890123456", "3331234567 ext 2", "３３３１２３４５６７",
        "٣٣٣١٢٣٤٥٦٧", "06 12", "+39", "0039", "00", "+39 1234567", "333_123_4567", "+39 333 1234567\u{0}",
        "+44 20", "0612345678901",
    ])
    func rejected(input: String) {
        #expect(
            failure { () throws(FieldError) in try FieldValidator.phone(input) }
                == FieldError(field: "phone", code: "phone.invalid"))
    }

    @Test func emptyAndHuge() {
        #expect(
            failure { () throws(FieldError) in try FieldValidator.phone("  ") }
                == FieldError(field: "phone", code: "required"))
        #expect(
            failure { () throws(FieldError) in try FieldValidator.phone(String(repeating: "3", count: 1_000_000)) }?
                .code == "phone.invalid")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.phone(String(repeating: " ", count: 100_000) + "x") }?
                .code == "phone.invalid")
    }
}

@Suite("Notes")
struct NotesTests {
    @Test func optionalAndRequired() throws {
        #expect(try FieldValidator.notes("") == "")
        #expect(try FieldValidator.notes(" \n ") == "")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.notes("", required: true) }
                == FieldError(field: "notes", code: "required"))
        #expect(try FieldValidator.notes("  Porto i documenti. ", required: true) == "Porto i documenti.")
    }

    @Test func lineBreaks() throws {
        #expect(try FieldValidator.notes("Riga 1\r\nRiga 2") == "Riga 1\nRiga 2")
        #expect(try FieldValidator.notes("a\rb\n\nc") == "a\nb\n\nc")
        #expect(try FieldValidator.notes("\r\n\r\nciao\r\n") == "ciao")
        #expect(try FieldValidator.notes("a\r\n\r\nb") == "a\n\nb")
    }

    @Test func controlCharactersRejected() {
        for text in ["a\tb", "a\u{0}b", "a\u{7F}b", "a\u{1B}[31mb", "a\u{85}b", "a\u{8}b"] {
            #expect(
                failure { () throws(FieldError) in try FieldValidator.notes(text) }
                    == FieldError(field: "notes", code: "notes.invalid"))
        }
    }

    @Test func lengths() throws {
        let five100 = String(repeating: "è", count: 500)
        #expect(try FieldValidator.notes(five100) == five100)
        #expect(failure { () throws(FieldError) in try FieldValidator.notes(five100 + "x") }?.code == "too_long")
        #expect(try FieldValidator.notes(String(repeating: "😀", count: 500)).count == 500)
        #expect(try FieldValidator.notes("👨‍👩‍👧 famiglia", maxLength: 10) == "👨‍👩‍👧 famiglia")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.notes("abcdefghijk", maxLength: 10) }?.code
                == "too_long")
        #expect(failure { () throws(FieldError) in try FieldValidator.notes("a", maxLength: 0) }?.code == "too_long")
        #expect(failure { () throws(FieldError) in try FieldValidator.notes("a", maxLength: -5) }?.code == "too_long")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.notes(String(repeating: "ab\n", count: 500_000)) }?
                .code == "too_long")
        // NFD input is stored composed, so the length counts what the reader sees.
        let value = try FieldValidator.notes(String(repeating: "e\u{301}", count: 3))
        #expect(Array(value.unicodeScalars) == Array("\u{E9}\u{E9}\u{E9}".unicodeScalars))
    }
}

@Suite("Codice fiscale field")
struct CodiceFiscaleFieldTests {
    @Test func wrapsTheValidator() throws {
        #expect(try FieldValidator.codiceFiscale(" rssmra85t10a562s ").value == "RSSMRA85T10A562S")
        let cases: [(String, String)] = [
            ("", "cf.empty"), ("RSSMRA85T10A562", "cf.length"), ("1SSMRA85T10A562S", "cf.character"),
            ("RSSMRA80F10H501I", "cf.month"), ("RSSMRA80D31H501D", "cf.day"), ("RSSMRA85T10A562Z", "cf.check"),
            ("RSSMRA85T10A562E\u{301}", "cf.character"),
        ]
        for (input, code) in cases {
            #expect(
                failure { () throws(FieldError) in try FieldValidator.codiceFiscale(input) }
                    == FieldError(field: "codice_fiscale", code: code), "\(input)")
        }
    }
}

@Suite("Optional fields and codes")
struct OptionalFieldTests {
    @Test func optionalFields() throws {
        #expect(try FieldValidator.optional("", FieldValidator.phone) == nil)
        #expect(try FieldValidator.optional("  \n", FieldValidator.email) == nil)
        #expect(try FieldValidator.optional(" 333 1234567 ", FieldValidator.phone) == "+393331234567")
        #expect(
            failure { () throws(FieldError) in try FieldValidator.optional("abc", FieldValidator.phone) }?.code
                == "phone.invalid")
    }

    @Test func codesAreUnique() {
        #expect(Set(FieldError.allCodes).count == FieldError.allCodes.count)
        #expect(FieldError.allCodes.contains("cf.check"))
    }
}
