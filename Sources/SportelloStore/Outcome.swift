import CSQLite
import Foundation
import SportelloCore

/// What the office records after an appointment: it moves the booking to `done` or `absent` (the no-show rule
/// counts the latter).
public enum Outcome: String, Sendable, CaseIterable {
    case done
    case absent

    var state: BookingState { self == .done ? .done : .absent }
}
