import SportelloCore
import SportelloStore

/// Every way a request can fail: the one code vocabulary of Core, answered with an HTTP status here.
typealias EndpointError = ErrorCode

extension ErrorCode {
    var status: Int {
        switch self {
        case .methodNotAllowed: 405
        case .rateLimited: 429
        case .badOrigin: 403
        case .badForm: 400
        case .notFound, .unknownService, .holdNotFound, .bookingNotFound, .blockNotFound: 404
        case .unknownSlot, .slotOutOfWindow, .invalidFields, .badRange, .unknownDesk, .verificationFailed: 422
        case .slotPast, .slotNotYetBookable, .slotFull, .bookingInPast, .personLimitReached, .noShowBlocked,
            .outcomeTooEarly,
            .bookingNotActive, .bookingNotMovable, .requestNotPending:
            409
        case .unauthorized, .signInRequired, .wrongCredentials: 401
        case .accountLocked, .tooManyHolds, .dailyLimitReached: 429
        case .forbidden, .localAccountsOff: 403
        case .holdExpired, .holdReleased, .verificationExhausted: 410
        case .storage: 503
        }
    }

    /// The code a failure is answered with, by its type: a domain error names its own; a database error, or
    /// anything unexpected, is a storage failure, logged here so that no 503 goes unexplained in the log.
    init(_ error: any Error) {
        self = (error as? any CodedError)?.errorCode ?? .storage
        if self == .storage { Log.error("storage_failed", ["error": .text("\(error)")]) }
    }
}
