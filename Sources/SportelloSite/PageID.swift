import Foundation
import SportelloCore

/// A page of the public site.
public enum PageID: Hashable, Sendable {
    case catalogue
    case service(String)
    case week(String, monday: CivilDate)
    case notFound
    /// The form to cancel a booking with its code and codice fiscale.
    case cancel
    /// The operators' sign-in form (the agenda itself is only ever an answer to a POST).
    case operatorLogin
    /// Citizens' sign-in, registration, forgotten credentials and "le mie prenotazioni".
    case account
}
