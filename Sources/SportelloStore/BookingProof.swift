import Foundation
import SportelloCore

/// What a booking's maker proved: nothing beyond typing a codice fiscale, the contact on it (a one-time code,
/// or the contact a signed-in account's password went to), or the person (SPID/CIE).
public enum BookingProof: Sendable, Equatable {
    case none
    case contact(String)
    case certified

    var level: Int64 {
        switch self {
        case .none: 0
        case .contact: 1
        case .certified: 2
        }
    }

    /// Which earlier bookings count for this maker's per-person limit and no-show rule, as an SQL condition
    /// over `bookings` where ?1 is the codice fiscale and ?4 the argument returned. Without proof, every
    /// booking for the codice fiscale (the only key there is); with a proof, only bookings the same proof
    /// reaches, so bookings a stranger made in someone's name neither block that person nor are evaded by
    /// inventing codici fiscali.
    /// `presented`: also those the codice fiscale presented for others (the no-show rule counts them).
    func matching(presented: Bool) -> (String, SQLValue) {
        switch self {
        case .none:
            (
                presented
                    ? "(codice_fiscale = ?1 OR presenter_codice_fiscale = ?1) AND ?4 IS NULL"
                    : "codice_fiscale = ?1 AND ?4 IS NULL", .null
            )
        case .contact(let contact):
            (
                "((proof = 1 AND (lower(email) = lower(?4) OR phone = ?4)) OR (proof = 2 AND codice_fiscale = ?1))",
                .text(contact)
            )
        case .certified:
            ("(proof = 2 AND codice_fiscale = ?1 AND ?4 IS NOT NULL)", .int(1))
        }
    }
}
