import Foundation

/// Why a form body or query could not be decoded (the request is answered 400).
public enum FormError: Error, Sendable, Equatable {
    case invalidPercentEncoding
    case invalidUTF8
    case tooManyFields
}
