import SportelloCore

/// Connections open across every event loop, in all and per client address, so the caps of
/// docs/ARCHITECTURE.md §5 hold for the server whichever loop accepted a connection. Touched once per accept
/// and once per close.
final class ConnectionTally: Sendable {
    private let counts = Locked<(total: Int, perAddress: [String: Int])>((0, [:]))

    /// Counts a new connection from `remote`, or returns the status refusing it: 503 past `maxConnections`,
    /// 429 past `maxPerAddress` (0: no cap) from one address unless `uncapped`.
    func admit(_ remote: String, maxConnections: Int, maxPerAddress: Int, uncapped: Bool) -> Int? {
        counts.withLock { counts in
            if counts.total >= maxConnections { return 503 }
            let fromThisAddress = counts.perAddress[remote, default: 0]
            if maxPerAddress > 0, fromThisAddress >= maxPerAddress, !uncapped { return 429 }
            counts.total += 1
            counts.perAddress[remote] = fromThisAddress + 1
            return nil
        }
    }

    /// A connection from `remote` closed.
    func release(_ remote: String) {
        counts.withLock { counts in
            counts.total -= 1
            if let count = counts.perAddress[remote], count > 1 {
                counts.perAddress[remote] = count - 1
            } else {
                counts.perAddress.removeValue(forKey: remote)
            }
        }
    }

    /// Connections open now.
    var total: Int { counts.withLock { $0.total } }
}
