import Foundation
import SportelloCore

/// Why a hold, booking or operator action was refused; each case maps to one `ErrorCode`.
public enum BookingError: Error, Equatable, Sendable, CodedError {
    case slotFull, holdNotFound, holdExpired, holdReleased, bookingNotFound, bookingInPast, personLimitReached
    /// Repeated no-shows: this codice fiscale can book again from the given instant.
    case noShowBlocked(until: Int64)
    /// An outcome (done, absent) for an appointment that has not started yet.
    case outcomeTooEarly
    /// The booking was already cancelled, or its outcome recorded.
    case bookingNotActive
    case blockNotFound
    /// A move of a booking that is not active (started, over or cancelled).
    case bookingNotMovable
    /// Confirm or refuse on a booking that is not a pending request (answered, expired or cancelled already).
    case requestNotPending
    /// The client already has as many live holds as it may; the first of them runs out at `until`.
    case tooManyHolds(until: Int64)
    /// A daily cap (per address or contact) is spent; it opens again at `until` (local midnight).
    case dailyLimitReached(until: Int64)
    /// The database failed; the change did not happen.
    case database(DatabaseError)

    /// The code the endpoint answers with (one vocabulary from Store to HTTP).
    public var errorCode: ErrorCode {
        switch self {
        case .slotFull: .slotFull
        case .holdNotFound: .holdNotFound
        case .holdExpired: .holdExpired
        case .holdReleased: .holdReleased
        case .bookingNotFound: .bookingNotFound
        case .bookingInPast: .bookingInPast
        case .personLimitReached: .personLimitReached
        case .noShowBlocked: .noShowBlocked
        case .outcomeTooEarly: .outcomeTooEarly
        case .bookingNotActive: .bookingNotActive
        case .blockNotFound: .blockNotFound
        case .bookingNotMovable: .bookingNotMovable
        case .requestNotPending: .requestNotPending
        case .tooManyHolds: .tooManyHolds
        case .dailyLimitReached: .dailyLimitReached
        case .database: .storage
        }
    }
}
