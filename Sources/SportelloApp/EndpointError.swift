import SportelloStore

/// Every way a booking request can fail, with a stable code for API clients and an HTTP status. The
/// person-facing title, message and next step live in `i18n/<lang>.json` under `errors.<code>`.
enum EndpointError: String, Error, CaseIterable {
    case methodNotAllowed = "method_not_allowed"
    case rateLimited = "rate_limited"
    case badOrigin = "bad_origin"
    case badForm = "bad_form"
    case notFound = "not_found"
    case unknownService = "unknown_service"
    case unknownSlot = "unknown_slot"
    /// A slot instant outside what the service's pages can offer (far past, far future, or absurd).
    case slotOutOfWindow = "slot_out_of_window"
    case slotPast = "slot_past"
    case slotNotYetBookable = "slot_not_yet_bookable"
    case slotFull = "slot_full"
    case holdNotFound = "hold_not_found"
    case holdExpired = "hold_expired"
    case holdReleased = "hold_released"
    case invalidFields = "invalid_fields"
    case bookingNotFound = "booking_not_found"
    case bookingInPast = "booking_in_past"
    case personLimitReached = "person_limit_reached"
    case noShowBlocked = "no_show_blocked"
    case outcomeTooEarly = "outcome_too_early"
    case bookingNotActive = "booking_not_active"
    case blockNotFound = "block_not_found"
    case badRange = "bad_range"
    case unauthorized = "unauthorized"
    case signInRequired = "sign_in_required"
    case wrongCredentials = "wrong_credentials"
    case accountLocked = "account_locked"
    case forbidden = "forbidden"
    case localAccountsOff = "local_accounts_off"
    case verificationFailed = "verification_failed"
    case verificationExhausted = "verification_exhausted"
    case tooManyHolds = "too_many_holds"
    case dailyLimitReached = "daily_limit_reached"
    case storage = "storage_error"

    var status: Int {
        switch self {
        case .methodNotAllowed: 405
        case .rateLimited: 429
        case .badOrigin: 403
        case .badForm: 400
        case .notFound, .unknownService, .holdNotFound, .bookingNotFound, .blockNotFound: 404
        case .unknownSlot, .slotOutOfWindow, .invalidFields, .badRange, .verificationFailed: 422
        case .slotPast, .slotNotYetBookable, .slotFull, .bookingInPast, .personLimitReached, .noShowBlocked, .outcomeTooEarly,
             .bookingNotActive: 409
        case .unauthorized, .signInRequired, .wrongCredentials: 401
        case .accountLocked, .tooManyHolds, .dailyLimitReached: 429
        case .forbidden, .localAccountsOff: 403
        case .holdExpired, .holdReleased, .verificationExhausted: 410
        case .storage: 503
        }
    }

    init(_ error: BookingError) {
        switch error {
        case .slotFull: self = .slotFull
        case .holdNotFound: self = .holdNotFound
        case .holdExpired: self = .holdExpired
        case .holdReleased: self = .holdReleased
        case .bookingNotFound: self = .bookingNotFound
        case .bookingInPast: self = .bookingInPast
        case .personLimitReached: self = .personLimitReached
        case .noShowBlocked: self = .noShowBlocked
        case .outcomeTooEarly: self = .outcomeTooEarly
        case .bookingNotActive: self = .bookingNotActive
        case .blockNotFound: self = .blockNotFound
        case .tooManyHolds: self = .tooManyHolds
        case .dailyLimitReached: self = .dailyLimitReached
        case .storage: self = .storage
        }
    }
}
