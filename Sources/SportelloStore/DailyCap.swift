import SportelloCore

/// A daily budget: `key` (e.g. "book:address:203.0.113.9") may be counted `limit` times a day; 0 = no cap.
public struct DailyCap: Sendable, Equatable {
    /// What is counted, e.g. "book:address:203.0.113.9".
    public let key: String
    /// Most counts a day (0 = no cap).
    public let limit: Int

    /// A cap of `limit` a day on `key`.
    public init(_ key: String, limit: Int) {
        self.key = key
        self.limit = limit
    }
}
