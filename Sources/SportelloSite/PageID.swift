import Foundation
import SportelloCore

/// A page of the public site.
public enum PageID: Hashable, Sendable {
    /// The list of offices and services, the site's home page.
    case catalogue
    /// A service's page (by service id): what to bring, where, and its first week.
    case service(String)
    /// An office's page (by the id of a catalogue entry that has children): where it is, its hours, its services.
    case office(String)
    /// One week of a service's slots, by service id and the week's Monday.
    case week(String, monday: CivilDate)
    /// The page served for any address that names no page.
    case notFound
    /// The form to cancel a booking with its code and codice fiscale.
    case cancel
    /// The operators' sign-in form (the agenda itself is only ever an answer to a POST).
    case operatorLogin
    /// Citizens' sign-in, registration, forgotten credentials and "le mie prenotazioni".
    case account
}
