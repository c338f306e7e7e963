import Foundation
import SportelloCore

/// Who asks for a hold, for the cap on live holds: the address key (IPv6 grouped by /64) and, when the
/// browser keeps cookies, its session. `limit` 0 = no cap on the address.
public struct HoldClient: Sendable, Equatable {
    /// The address key (IPv6 grouped by /64) the cap counts holds under.
    public let key: String
    /// The browser's session cookie, when it keeps one: a new hold gives back the session's older one.
    public let session: String?
    /// Most live holds for the address (0 = no cap).
    public let limit: Int

    /// A client identified by `key` and `session`, allowed `limit` live holds.
    public init(key: String, session: String?, limit: Int) {
        self.key = key
        self.session = session
        self.limit = limit
    }
}
