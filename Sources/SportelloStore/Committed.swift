/// What a write returns once its transaction is durable: its result and what it changed. The change is
/// applied (pages re-rendered, delivery woken) by the caller's one after-commit place, never by the Store.
public struct Committed<Value> {
    /// What the write produced (a hold, a booking, nothing).
    public let value: Value
    /// What the write changed, for the after-commit place to apply.
    public let change: StoreChange

    /// A committed `value` with its `change`.
    public init(_ value: Value, change: StoreChange) {
        self.value = value
        self.change = change
    }
}

extension Committed: Sendable where Value: Sendable {}
