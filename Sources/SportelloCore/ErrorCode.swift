/// The one vocabulary of refusals, from the Store to the HTTP answer: each case is a stable code that API
/// clients see as `{"error": code, "message": text}`, and that names the person-facing title, message and
/// next step in `i18n/<lang>.json` under `errors.<code>`. Domain errors name their code once (`CodedError`);
/// the application maps it to an HTTP status (docs/ARCHITECTURE.md §5).
public enum ErrorCode: String, Sendable, CaseIterable {
    /// Anything but POST on an endpoint that only takes forms.
    case methodNotAllowed = "method_not_allowed"
    /// Too many requests from one address in the last minute.
    case rateLimited = "rate_limited"
    /// A POST whose Origin (or Referer) is not the comune's site: a cross-site request.
    case badOrigin = "bad_origin"
    /// A body that cannot be decoded as a form.
    case badForm = "bad_form"
    /// A path under the endpoint that names no route.
    case notFound = "not_found"
    case unknownService = "unknown_service"
    /// A slot instant that is not one of the service's opening times.
    case unknownSlot = "unknown_slot"
    /// A slot instant outside what the service's pages can offer (far past, far future, or absurd).
    case slotOutOfWindow = "slot_out_of_window"
    case slotPast = "slot_past"
    /// A slot after the service's booking window: bookings for that day are not open yet.
    case slotNotYetBookable = "slot_not_yet_bookable"
    case slotFull = "slot_full"
    case holdNotFound = "hold_not_found"
    case holdExpired = "hold_expired"
    /// The citizen gave the hold back (the place is free again) before confirming.
    case holdReleased = "hold_released"
    case invalidFields = "invalid_fields"
    case bookingNotFound = "booking_not_found"
    case bookingInPast = "booking_in_past"
    /// The person already has the most active bookings allowed for the service.
    case personLimitReached = "person_limit_reached"
    /// The no-show rule bars this codice fiscale until a date.
    case noShowBlocked = "no_show_blocked"
    /// An outcome (done, absent) recorded before the appointment started.
    case outcomeTooEarly = "outcome_too_early"
    /// The booking was already cancelled or its outcome recorded.
    case bookingNotActive = "booking_not_active"
    case blockNotFound = "block_not_found"
    /// An unavailability whose date or times are missing or whose start is not before its end.
    case badRange = "bad_range"
    /// A block named a desk that does not serve the chosen service.
    case unknownDesk = "unknown_desk"
    /// The operator code is missing, wrong or revoked.
    case unauthorized = "unauthorized"
    /// The action needs a signed-in citizen (own credentials or SPID/CIE).
    case signInRequired = "sign_in_required"
    case wrongCredentials = "wrong_credentials"
    /// Too many wrong passwords: sign-in is closed for a while.
    case accountLocked = "account_locked"
    /// A valid operator code that does not cover this service.
    case forbidden = "forbidden"
    /// The comune turned Sportello's own credentials off: only SPID/CIE sign-in.
    case localAccountsOff = "local_accounts_off"
    /// The one-time contact code is wrong or was not sent yet.
    case verificationFailed = "verification_failed"
    /// The one-time code was wrong too many times: the hold is given back.
    case verificationExhausted = "verification_exhausted"
    /// The address already has the most live holds allowed.
    case tooManyHolds = "too_many_holds"
    /// A daily budget of the address or of the contact is spent (`LimitSettings`).
    case dailyLimitReached = "daily_limit_reached"
    /// Confirm or refuse on a request no longer waiting for the office (already answered, expired or cancelled).
    case requestNotPending = "request_not_pending"
    /// The database (or the disk under it) failed: the request may be tried again; never a refusal of the person.
    case storage = "storage_error"
    /// A move of a booking that has started, is over or was cancelled: only an active booking moves.
    case bookingNotMovable = "booking_not_movable"
}
