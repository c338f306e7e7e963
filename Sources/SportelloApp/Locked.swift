import Foundation

/// A value shared between threads behind a lock, for benchmarks and tests that collect results from
/// many concurrent clients. (Production state uses `Mutex`; this also holds non-Sendable values.)
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
