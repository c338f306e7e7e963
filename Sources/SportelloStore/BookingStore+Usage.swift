import SportelloCore

extension BookingStore {
    /// Counts one use of each cap in a transaction of its own; throws `dailyLimitReached` when one is spent.
    public func takeDaily(_ caps: [DailyCap], now: Int64) throws(BookingError) {
        guard caps.contains(where: { $0.limit > 0 }) else { return }
        try run(durable: false) { connection in
            if let until = try Usage.take(connection, caps, now: now) {
                throw BookingError.dailyLimitReached(until: until)
            }
        }
    }
}
