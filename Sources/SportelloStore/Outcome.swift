import CSQLite
import Foundation
import SportelloCore

/// What the office records after an appointment (cupweb-tabella-prenotazione.txt).
public enum Outcome: String, Sendable, CaseIterable {
    case done
    case absent

    var state: BookingState { self == .done ? .done : .absent }
}
