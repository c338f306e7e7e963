/// The one vocabulary of refusals, from the Store to the HTTP answer: each case is a stable code that API
/// clients see as `{"error": code, "message": text}`, and that names the person-facing title, message and
/// next step in `i18n/<lang>.json` under `errors.<code>`. Domain errors name their code once (`CodedError`);
/// the application maps it to an HTTP status (docs/ARCHITECTURE.md §5).
public enum ErrorCode: String, Sendable, CaseIterable {
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
    /// The database (or the disk under it) failed: the request may be tried again; never a refusal of the person.
    case storage = "storage_error"
}
