import Foundation
import SportelloCore

/// A citizen's account (the CUPweb "credenziali"): the codice fiscale is the username.
public struct Account: Sendable, Equatable {
    /// The row id: sessions and bookings made while signed in refer to it.
    public let id: Int64
    /// The username, upper-case as validated; one account per codice fiscale.
    public let codiceFiscale: String
    /// Given name, prefilled into the booking form.
    public let givenName: String
    /// Family name, prefilled into the booking form.
    public let familyName: String
    /// Email given at registration: one of the contacts credentials may go to.
    public let email: String
    /// Mobile number given at registration: one of the contacts credentials may go to.
    public let phone: String
    /// The contact its password was sent to, and so the one its holder has shown to receive ("" for accounts
    /// registered before this was recorded): bookings for this codice fiscale that carry it are the holder's.
    public var verifiedContact: String = ""
}
