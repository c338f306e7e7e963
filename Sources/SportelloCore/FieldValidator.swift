import Foundation

/// Booking-form field validators. Each normalises with `TextNormalizer`, then returns the value to store or
/// throws a `FieldError`. Lengths count user-perceived characters after normalisation. Optional fields: pass
/// the raw text through `optional(_:_:)`.
public enum FieldValidator {
    private typealias Code = FieldError.Code

    /// Longest given or family name accepted, in user-perceived characters.
    public static let nameMaxLength = 60
    /// Longest notes accepted when the service sets no limit of its own.
    public static let notesDefaultMaxLength = 500
    /// Longest email address accepted (the SMTP path limit, RFC 5321).
    public static let emailMaxLength = 254
    /// Longest part before the "@" (RFC 5321).
    public static let emailLocalMaxLength = 64

    // MARK: Names

    /// A first name or surname: 1…60 characters; letters of any script (accents included, as precomposed
    /// characters or a letter followed by up to three combining marks), ASCII space, apostrophes ' and ’,
    /// hyphen and dot; at least one letter. Digits, symbols, emoji, control characters, `<` and `>` are
    /// rejected with `name.invalid`.
    public static func personName(_ raw: String, field: String) throws(FieldError) -> String {
        let value = TextNormalizer.normalize(raw)
        if value.isEmpty { throw FieldError(field: field, code: Code.required) }
        if value.prefix(nameMaxLength + 1).count > nameMaxLength { throw FieldError(field: field, code: Code.tooLong) }
        var hasLetter = false
        for character in value {
            switch character {
            case " ", "'", "\u{2019}", "-", ".":
                continue
            default:
                guard isNameLetter(character) else { throw FieldError(field: field, code: Code.nameInvalid) }
                hasLetter = true
            }
        }
        guard hasLetter else { throw FieldError(field: field, code: Code.nameInvalid) }
        return value
    }

    /// A letter scalar, optionally followed by at most three combining marks.
    private static func isNameLetter(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard let first = scalars.first, scalars.count <= 4 else { return false }
        switch first.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: break
        default: return false
        }
        return scalars.dropFirst().allSatisfy {
            let category = $0.properties.generalCategory
            return category == .nonspacingMark || category == .spacingMark
        }
    }

    // MARK: Email

    /// A pragmatic address check, not full RFC 5322: exactly one `@`; local part 1…64 ASCII characters from
    /// letters, digits and `. _ % + - ' ! # $ & * / = ? ^ { } ~` with no leading, trailing or doubled dot
    /// (no quoted strings, no `|` or backtick); domain of at least two ASCII labels (letters, digits, inner
    /// hyphens, 1…63 each; punycode `xn--` is fine, Unicode domains are not) ending in an alphabetic TLD of
    /// 2+ letters; at most 254 characters in all. Returns the address with the domain lowercased.
    public static func email(_ raw: String) throws(FieldError) -> String {
        let field = "email"
        let value = TextNormalizer.normalize(raw)
        if value.isEmpty { throw FieldError(field: field, code: Code.required) }
        let invalid = FieldError(field: field, code: Code.emailInvalid)
        // Non-ASCII is invalid anywhere, so bytes are characters from here on.
        let bytes = Array(value.utf8)
        if bytes.count > emailMaxLength { throw FieldError(field: field, code: Code.tooLong) }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw invalid }
        let parts = bytes.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid }
        let local = parts[0]
        let domain = parts[1]

        guard (1...emailLocalMaxLength).contains(local.count),
            local.allSatisfy(isLocalPartByte),
            local.first != dot, local.last != dot,
            !zip(local, local.dropFirst()).contains(where: { $0 == dot && $1 == dot })
        else { throw invalid }

        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw invalid }
        for label in labels {
            guard (1...63).contains(label.count),
                label.allSatisfy({ isASCIILetter($0) || isASCIIDigit($0) || $0 == hyphen }),
                label.first != hyphen, label.last != hyphen
            else { throw invalid }
        }
        guard let tld = labels.last, tld.count >= 2, tld.allSatisfy(isASCIILetter) else { throw invalid }

        let lowerDomain = domain.map { isASCIILetter($0) && $0 < 0x61 ? $0 + 0x20 : $0 }
        return String(decoding: Array(local) + [UInt8(ascii: "@")] + lowerDomain, as: UTF8.self)
    }

    private static let dot = UInt8(ascii: ".")
    private static let hyphen = UInt8(ascii: "-")
    private static let localPartSymbols = Set("._%+-'!#$&*/=?^{}~".utf8)

    private static func isASCIILetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
    private static func isASCIIDigit(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) }
    private static func isLocalPartByte(_ b: UInt8) -> Bool {
        isASCIILetter(b) || isASCIIDigit(b) || localPartSymbols.contains(b)
    }

    // MARK: Phone

    /// An Italian or international phone number, returned in E.164 form with no spaces (`+393331234567`).
    ///
    /// Separators ` - . / ( )` are ignored. Accepted:
    /// - Italian numbers, bare or after `+39` / `0039`: mobile `3…` with 9–10 digits, landline `0…` with
    ///   6–11 digits (the leading 0 is kept: `+39 06 1234567` → `+39061234567`);
    /// - other countries as `+CC…` or `00CC…`: 7–15 digits in all, the first not 0.
    /// Italian numbers in other ranges (toll-free 80x, premium 89x, short codes 1xx) are rejected.
    public static func phone(_ raw: String) throws(FieldError) -> String {
        let field = "phone"
        let value = TextNormalizer.normalize(raw)
        if value.isEmpty { throw FieldError(field: field, code: Code.required) }
        let invalid = FieldError(field: field, code: Code.phoneInvalid)

        var digits: [UInt8] = []
        var plus = false
        for (offset, byte) in value.utf8.enumerated() {
            switch byte {
            case 0x30...0x39:
                digits.append(byte)
                guard digits.count <= 17 else { throw invalid }  // "0039" + 13 at most
            case UInt8(ascii: "+"):
                guard offset == 0 else { throw invalid }
                plus = true
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/"),
                UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default:
                throw invalid
            }
        }

        let international: ArraySlice<UInt8>?
        if plus {
            international = digits[...]
        } else if digits.starts(with: [0x30, 0x30]) {  // "00"
            international = digits.dropFirst(2)
        } else {
            international = nil
        }

        if let international {
            if international.starts(with: [0x33, 0x39]) {  // "39": Italy
                return try italian(international.dropFirst(2), invalid)
            }
            guard (7...15).contains(international.count), international.first != 0x30 else { throw invalid }
            return "+" + String(decoding: international, as: UTF8.self)
        }
        return try italian(digits[...], invalid)
    }

    private static func italian(_ national: ArraySlice<UInt8>, _ invalid: FieldError) throws(FieldError) -> String {
        switch national.first {
        case UInt8(ascii: "3"):
            guard (9...10).contains(national.count) else { throw invalid }
        case UInt8(ascii: "0"):
            guard (6...11).contains(national.count) else { throw invalid }
        default:
            throw invalid
        }
        return "+39" + String(decoding: national, as: UTF8.self)
    }

    // MARK: Notes

    /// Free text: up to `maxLength` characters (default 500). Line breaks are kept and stored as `\n`
    /// (CRLF and lone CR become LF); any other control character (tab, NUL, DEL, C1…) is `notes.invalid`.
    /// When not required, an empty value is returned as "".
    public static func notes(
        _ raw: String, required: Bool = false, maxLength: Int = notesDefaultMaxLength
    )
        throws(FieldError) -> String
    {
        let field = "notes"
        let normalized = TextNormalizer.normalize(raw)
        if normalized.isEmpty {
            if required { throw FieldError(field: field, code: Code.required) }
            return ""
        }
        var scalars = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in normalized.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\r":
                scalars.append("\n")
            case "\n":
                if previousWasCR { continue }  // the CR already became a line break
                scalars.append("\n")
            default:
                if scalar.properties.generalCategory == .control {
                    throw FieldError(field: field, code: Code.notesInvalid)
                }
                scalars.append(scalar)
            }
        }
        let value = String(scalars)
        if value.count > maxLength { throw FieldError(field: field, code: Code.tooLong) }
        return value
    }

    // MARK: Codice fiscale

    /// Wraps `CodiceFiscale(validating:)` after normalisation; the error code is the `CodiceFiscaleError`
    /// code (`cf.empty`, `cf.length`, …) on field `codice_fiscale`.
    public static func codiceFiscale(_ raw: String) throws(FieldError) -> CodiceFiscale {
        do throws(CodiceFiscaleError) {
            return try CodiceFiscale(validating: TextNormalizer.normalize(raw))
        } catch {
            throw FieldError(field: "codice_fiscale", code: error.code)
        }
    }

    // MARK: Optional fields

    /// For an optional field: nil when the text is empty after normalisation, otherwise `validate`'s result.
    /// `let phone = try FieldValidator.optional(form["phone"] ?? "", FieldValidator.phone)`
    public static func optional<T>(
        _ raw: String, _ validate: (String) throws(FieldError) -> T
    )
        throws(FieldError) -> T?
    {
        if TextNormalizer.normalize(raw).isEmpty { return nil }
        return try validate(raw)
    }
}
