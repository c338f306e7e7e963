import SportelloHTTP
import SportelloStore

/// Where a move request ended: an answer to send as it is (the list of free starts, a refusal), or the
/// booking at its new time, which each route answers its own way (the citizen's page, the office's agenda).
enum MoveOutcome {
    case answer(HTTPResponse)
    /// The booking after the move, and where it was before.
    case moved(Booking, from: Booking)
}
