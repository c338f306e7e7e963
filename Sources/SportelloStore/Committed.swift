/// What a write returns once its transaction is durable: its result and what it changed. The change is
/// applied (pages re-rendered, delivery woken) by the caller's one after-commit place, never by the Store.
public struct Committed<Value> {
    public let value: Value
    public let change: StoreChange

    public init(_ value: Value, change: StoreChange) {
        self.value = value
        self.change = change
    }
}

extension Committed: Sendable where Value: Sendable {}
