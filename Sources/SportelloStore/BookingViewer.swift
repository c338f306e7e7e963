import Foundation
import SportelloCore

/// Who asks to see, receipt or cancel bookings, and what they have proved. A codice fiscale alone proves
/// nothing (anyone can compute one), so a local account reaches only what it made and what carries the
/// contact its password went to; SPID/CIE certifies the person, who reaches everything booked for them.
public enum BookingViewer: Sendable, Equatable {
    case account(id: Int64, codiceFiscale: String, verifiedContact: String)
    /// `contacts`: the email and mobile the gateway certified with the person (either may be empty).
    case certified(codiceFiscale: String, contacts: [String] = [])

    /// The SQL condition (over `bookings`) and its arguments, numbered from ?1.
    var condition: (String, [SQLValue]) {
        switch self {
        case .account(let id, let codiceFiscale, let contact):
            (
                "(account_id = ?1 OR (?3 <> '' AND codice_fiscale = ?2 AND (lower(email) = lower(?3) OR phone = ?3)))",
                [.int(id), .text(codiceFiscale), .text(contact)]
            )
        case .certified(let codiceFiscale, let contacts):
            // What it presented for others, unless a local account (perhaps a squatter's) did the presenting; a
            // local account whose copies went to one of the person's certified contacts was their own.
            (
                """
                (codice_fiscale = ?1 OR (presenter_codice_fiscale = ?1 AND (account_id IS NULL
                    OR (?2 <> '' AND lower(presenter_contact) = lower(?2)) OR (?3 <> '' AND presenter_contact = ?3))))
                """, [.text(codiceFiscale), .text(contacts.first ?? ""), .text(contacts.dropFirst().first ?? "")]
            )
        }
    }

    /// Whether this viewer may see or cancel `booking`: the same rule as `condition`, for a booking in hand.
    public func mayAct(on booking: Booking) -> Bool {
        switch self {
        case .account(let id, let codiceFiscale, let contact):
            return booking.accountID == id
                || (!contact.isEmpty && booking.person.codiceFiscale == codiceFiscale
                    && (booking.person.email.lowercased() == contact.lowercased() || booking.person.phone == contact))
        case .certified(let codiceFiscale, let contacts):
            guard booking.person.codiceFiscale != codiceFiscale else { return true }
            guard booking.person.presenterCodiceFiscale == codiceFiscale else { return false }
            let copy = (booking.person.presenterContact ?? "").lowercased()
            return booking.accountID == nil || (!copy.isEmpty && contacts.contains { $0.lowercased() == copy })
        }
    }
}
