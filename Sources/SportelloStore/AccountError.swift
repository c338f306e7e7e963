import Foundation
import SportelloCore

/// Why a sign-in or an account change was refused.
public enum AccountError: Error, Equatable, Sendable, CodedError {
    /// Wrong codice fiscale or password (never says which).
    case wrongCredentials
    /// Too many wrong passwords: the account accepts none until this instant.
    case locked(until: Int64)
    /// The database failed; nothing changed.
    case database(DatabaseError)

    /// The code the endpoint answers with (one vocabulary from Store to HTTP).
    public var errorCode: ErrorCode {
        switch self {
        case .wrongCredentials: .wrongCredentials
        case .locked: .accountLocked
        case .database: .storage
        }
    }
}
