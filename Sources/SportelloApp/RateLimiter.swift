import SportelloCore
import Synchronization

/// A token bucket per key (client address, codice fiscale): `capacity` actions at once, refilled at
/// `perMinute`. Old buckets are dropped so a flood of addresses cannot grow memory without bound.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    private let capacity: Double
    private let perSecond: Double
    private let maxKeys: Int

    /// `capacity` actions at once per key, refilled at `perMinute`, keeping at most `maxKeys` buckets.
    public init(capacity: Int, perMinute: Int, maxKeys: Int = 100_000) {
        self.capacity = Double(capacity)
        perSecond = Double(perMinute) / 60
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key` at time `now` (seconds); false when the key is over its limit.
    public func allow(_ key: String, now: Double) -> Bool {
        buckets.withLock { buckets in
            if buckets.count >= maxKeys {
                buckets = buckets.filter { now - $0.value.updated < capacity / perSecond }
                if buckets.count >= maxKeys { buckets.removeAll(keepingCapacity: true) }
            }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return true
        }
    }

    /// Whether `allow` would grant a token now, without taking one: for limits that count only failures.
    public func wouldAllow(_ key: String, now: Double) -> Bool {
        buckets.withLock { buckets in
            guard let bucket = buckets[key] else { return true }
            return min(capacity, bucket.tokens + (now - bucket.updated) * perSecond) >= 1
        }
    }
}
