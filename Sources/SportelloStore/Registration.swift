import Foundation
import SportelloCore

/// What a registration did. Both cases get the same answer on the page, so nobody learns whether a codice
/// fiscale has an account; only the second sends credentials.
public enum Registration: Sendable, Equatable {
    case created(Account, password: String)
    case alreadyRegistered(Account)
}
