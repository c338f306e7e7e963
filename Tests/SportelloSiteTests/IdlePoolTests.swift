import Foundation
import Synchronization
import Testing

@testable import SportelloSite

/// The pool `Gzip` keeps its encoders and zlib streams in.
@Suite struct IdlePoolTests {
    final class Item: Sendable {
        let level: Int
        let inUse = Atomic<Bool>(false)
        init(level: Int) { self.level = level }
    }

    /// An empty pool gives nothing; the last put back that fits comes out first; beyond the capacity, what is put
    /// back is dropped.
    @Test func takesTheLastFittingAndKeepsAtMostItsCapacity() {
        let pool = IdlePool<Item>(capacity: 3)
        #expect(pool.take() == nil)
        let items = (0..<5).map { Item(level: $0 % 2 == 0 ? 3 : 6) }
        for item in items { pool.put(item) }
        #expect(pool.count == 3)  // items 0, 1, 2: the last two were dropped
        #expect(pool.take(where: { $0.level == 6 }) === items[1])
        #expect(pool.take(where: { $0.level == 6 }) == nil)
        #expect(pool.take() === items[2])
        #expect(pool.take() === items[0])
        #expect(pool.take() == nil)
    }

    /// Taken from many threads at once, an element is never handed to two users together.
    @Test func anElementHasOneUserAtATime() {
        let pool = IdlePool<Item>(capacity: 4)
        let shared = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for _ in 0..<2_000 {
                let item = pool.take() ?? Item(level: thread)
                if item.inUse.exchange(true, ordering: .acquiring) { shared.add(1, ordering: .relaxed) }
                item.inUse.store(false, ordering: .releasing)
                pool.put(item)
            }
        }
        #expect(shared.load(ordering: .relaxed) == 0)
        #expect(pool.count <= 4)
    }
}
