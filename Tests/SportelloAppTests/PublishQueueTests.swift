import Foundation
import SportelloCore
import SportelloSite
import SportelloTesting
import Synchronization
import Testing

@testable import SportelloApp

/// Occupancy whose every read takes a while: passes long enough for marks to arrive while they run.
struct SlowOccupancy: OccupancySource {
    let inner: any OccupancySource

    func occupancy(serviceID: String?, from: Int64, to: Int64, now: Int64) throws -> [String: [Int64: SlotOccupancy]] {
        usleep(3_000)
        return try inner.occupancy(serviceID: serviceID, from: from, to: to, now: now)
    }
}

@Suite struct PublishQueueTests {
    /// A lane is woken once per batch of marks (not once per mark) and rests after a pass under load: no mark
    /// made from many threads, before, during or between passes, is left unpublished.
    @Test func everyMarkFromManyThreadsIsPublished() throws {
        let fixture = try FixtureApplication("marks")
        defer { fixture.remove() }
        let (site, application) = (fixture.site, fixture.application)
        let published = Locked<Set<PageID>>([])
        let queue = PublishQueue(
            publisher: site.makePublisher(), source: SlowOccupancy(inner: application.source),
            onPublished: { pages in published.withLock { $0.formUnion(pages) } })
        let lanes = ServiceGroup(queue.lanes)
        lanes.start()
        defer { lanes.stop() }
        let monday = RomeTime.local(currentInstant()).date.mondayOfWeek
        let services = site.catalogue.publicServices.map(\.id)
        var expected: Set<PageID> = []
        for (index, service) in services.enumerated() {
            for week in 0..<8 { expected.insert(.week(service, monday: monday.adding(days: 7 * (week + index % 2)))) }
            expected.insert(.service(service))
        }
        let marks = Array(expected)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for (index, page) in marks.enumerated() where index % 4 == thread {
                queue.mark([page])
                usleep(UInt32(500 + index % 7 * 300))
            }
        }
        for _ in 0..<1_000 where !published.withLock({ $0.isSuperset(of: expected) }) { usleep(10_000) }
        #expect(published.withLock { expected.subtracting($0) }.isEmpty)
        // Idle again: a lone mark is published at once, as before any load.
        let lone = PageID.week(services[0], monday: monday.adding(days: 70))
        queue.mark([lone])
        for _ in 0..<500 where !published.withLock({ $0.contains(lone) }) { usleep(10_000) }
        #expect(published.withLock { $0.contains(lone) })
    }

    /// Marks that keep coming (a rush) are taken in by at most five week passes a second once the rush has
    /// lasted a few passes, instead of twenty: each pass rewrites the same pages, and their files cost the
    /// requests processor time.
    @Test func aRushIsPublishedInAFewPassesASecond() throws {
        let fixture = try FixtureApplication("rush-passes")
        defer { fixture.remove() }
        let (site, application) = (fixture.site, fixture.application)
        let passes = Locked(0)
        let week = PageID.week(
            site.catalogue.publicServices[0].id, monday: RomeTime.local(currentInstant()).date.mondayOfWeek)
        let start = Date()
        let rushing: @Sendable () -> Bool = { Date().timeIntervalSince(start) < 2 }
        let queue = Locked<PublishQueue?>(nil)
        // Each pass's own end marks the week again, so a mark is always waiting when a pass ends, however the
        // machine schedules the threads: the rush is certain, not a matter of timing.
        queue.withLock {
            $0 = PublishQueue(
                publisher: site.makePublisher(), source: SlowOccupancy(inner: application.source),
                onPublished: { pages in
                    guard pages.contains(where: { if case .week = $0 { true } else { false } }) else { return }
                    passes.withLock { $0 += 1 }
                    if rushing() { queue.withLock { $0 }?.mark([week]) }
                })
        }
        guard let publishQueue = queue.withLock({ $0 }) else { return }
        let lanes = ServiceGroup(publishQueue.lanes)
        lanes.start()
        defer { lanes.stop() }
        publishQueue.mark([week])
        while rushing() { usleep(10_000) }
        queue.withLock { $0 = nil }  // the queue's callback holds the box that holds the queue
        // Twenty a second would be 40; five a second after the first five passes at most 5 + 10 (+ 1 at each end).
        #expect(passes.withLock { $0 } <= 17, "\(passes.withLock { $0 }) week passes in 2 s")
        #expect(passes.withLock { $0 } >= 2)
    }

    /// The rest after a pass under load follows the lane's small passes only: pages marked during a whole rebuild
    /// (start-up, midnight) go out right after it, not after a pause as long as the rebuild took.
    @Test func pagesMarkedDuringARebuildGoOutRightAfterIt() throws {
        let fixture = try FixtureApplication("rebuild-marks")
        defer { fixture.remove() }
        let (site, application) = (fixture.site, fixture.application)
        let gate = Gate()
        let published = Locked<[PageID: Date]>([:])
        let rebuilt = Locked<Date?>(nil)
        let queue = PublishQueue(
            publisher: site.makePublisher(), source: GatedOccupancy(inner: application.source, gate: gate),
            onPublished: { pages in published.withLock { for page in pages { $0[page] = $0[page] ?? Date() } } },
            onRebuilt: { rebuilt.withLock { $0 = Date() } })
        let lanes = ServiceGroup(queue.lanes)
        lanes.start()
        defer { lanes.stop() }
        queue.markEverything()
        usleep(500_000)
        let week = PageID.week(
            site.catalogue.publicServices[0].id, monday: RomeTime.local(currentInstant()).date.mondayOfWeek)
        queue.mark([week])
        usleep(4_000_000)  // the rebuild waits at the gate: a pass of over four seconds
        gate.open.store(true, ordering: .releasing)
        for _ in 0..<3_000 where published.withLock({ $0[week] }) == nil { usleep(10_000) }
        let done = try #require(rebuilt.withLock { $0 })
        let shown = try #require(published.withLock { $0[week] })
        #expect(shown.timeIntervalSince(done) < 3, "published \(shown.timeIntervalSince(done)) s after the rebuild")
    }
}
