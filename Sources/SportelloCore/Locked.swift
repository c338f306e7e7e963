import Foundation

/// A value shared between threads behind a lock. `Mutex` is preferred for Sendable state; this one also
/// holds values that are not Sendable and can be captured by escaping closures, as servers, benchmarks and
/// tests collecting results from many threads need.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private var value: Value
    private let lock = NSLock()

    /// Wraps the initial value.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value while holding the lock; keep it short, every other thread waits.
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
