/// Every route of the endpoint, as its path below `/api/`: the one table the router dispatches on and the pages
/// and templates take their form actions from (`SiteLayout.api(_:)`), so no route is spelled twice.
/// The order is the fuzzer's (its inputs name routes by position), so new routes go at the end.
public enum EndpointRoute: String, CaseIterable, Sendable {
    /// A slot held for the citizen while they fill in the form.
    case holds
    /// "Annulla" on the form: the hold gives its place back.
    case releaseHold = "holds/release"
    /// Where the SPID/CIE gateway sends the citizen back to the hold they left (a GET).
    case resumeHold = "holds/resume"
    /// "Continua": the form checked, the summary shown.
    case review
    /// "Invia": the hold confirmed as a booking.
    case bookings
    /// A booking cancelled with its code and codice fiscale.
    case cancellations
    /// The beneficiary chosen on the hold's form ("per un'altra persona").
    case chooseBeneficiary = "holds/for"
    /// The beneficiary chosen on the service page, before a slot.
    case beneficiary
    /// A local account registered.
    case accounts
    case login
    case logout
    /// Forgotten credentials: a new password sent to the verified contact.
    case credentials
    /// `GET`/`HEAD`: the state of database, publisher and outbox.
    case health
    /// "Le mie prenotazioni" (also a GET: where the gateway sends a citizen who signed in).
    case myBookings = "my-bookings"
    case cancelMine = "my-bookings/cancel"
    /// The printable receipt again.
    case receipts
    case operatorLogin = "operator/login"
    case operatorAgenda = "operator/agenda"
    case operatorOutcome = "operator/outcome"
    case operatorCancel = "operator/cancel"
    case operatorBlocks = "operator/blocks"
    case operatorRemoveBlock = "operator/blocks/remove"
    case operatorStats = "operator/stats"
    case operatorLogout = "operator/logout"
    /// The office's week or day grid of one service, every state of every slot (also a GET:
    /// `?service=&date=&view=week|day`).
    case operatorGrid = "operator/grid"
    /// The office's statistics page: bookings, no-shows and cancellations per service and week, charted (also a GET).
    case operatorStatistics = "operator/statistics"
    /// "Le mie prenotazioni" on the weeks of the citizen's bookings, "Annulla" on their own slots (also a GET).
    case myBookingsWeek = "my-bookings/week"
    /// A booking moved by its citizen with its code and codice fiscale: the free times, then the move.
    case moves
    /// A booking moved from "Le mie prenotazioni" by the signed-in citizen.
    case moveMine = "my-bookings/move"
    /// A booking moved by the office from the agenda.
    case operatorMove = "operator/move"
    /// `GET`: the page a POST answered, shown again after its `303 See Other` (Back, Forward, reload never send
    /// the form again; see docs/ARCHITECTURE.md "Back and forward").
    case page
    /// The office confirms a pending request (a service with `approval`).
    case operatorApprove = "operator/approve"
    /// The office refuses a pending request, with the reason the citizen is told.
    case operatorRefuse = "operator/refuse"
    /// The office books for a citizen (a staff-only service, or any in its scope): the form, then the booking.
    case operatorBook = "operator/book"

    /// The folder below `/api/` of the office's routes (their cookie is sent back only there).
    public static let operatorScope = "operator"

    /// The methods the route answers. A POST is a form, put through every request check; a GET or HEAD only
    /// shows (health, the two places the identity gateway sends a citizen back to, and the page a form answered).
    public var methods: [String] {
        switch self {
        case .health: ["GET", "HEAD"]
        case .resumeHold, .page: ["GET"]
        case .myBookings, .myBookingsWeek, .operatorGrid, .operatorStatistics: ["POST", "GET"]
        default: ["POST"]
        }
    }

    /// The `Allow` header of a 405: what a client may send to this address instead.
    public var allowHeader: String { self == .health ? "GET, HEAD" : "POST" }

    /// Whether the route shows a page on a GET without the form checks (origin, content type, honeypot).
    public var answersGET: Bool { self != .health && methods.contains("GET") }

    /// Whether a POST to it is a form the endpoint acts on (a GET-only route answers "not found" to a POST).
    public var acceptsForm: Bool { methods.contains("POST") }

    /// A confirmation finishes a hold the server granted: admission control never turns it away (the hold
    /// would otherwise block its place until it expires).
    public var completesAdmittedWork: Bool { self == .bookings }

    /// One of the office's routes (signed in with the operator token or session).
    public var isOperator: Bool { rawValue.hasPrefix(Self.operatorScope + "/") }
}
