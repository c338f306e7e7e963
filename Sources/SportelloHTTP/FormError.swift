import Foundation

/// Why a form body or query could not be decoded (the request is answered 400).
public enum FormError: Error, Sendable, Equatable {
    /// A "%" not followed by two hex digits.
    case invalidPercentEncoding
    /// A name or value that is not UTF-8 once decoded.
    case invalidUTF8
    /// More fields than `FormDecoder.maxFields`.
    case tooManyFields
}
