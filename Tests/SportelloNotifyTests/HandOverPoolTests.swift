import Foundation
import SportelloCore
import Testing

@testable import SportelloNotify

/// Issue 16: hand-overs run on a few threads that outlive a delivery pass, not on a thread per message.
@Suite struct HandOverPoolTests {
    @Test func everyJobRunsOnAtMostSizeThreadsWhichEndWhenIdle() throws {
        let pool = HandOverPool(size: 3, idleSeconds: 0.5)
        let running = Locked(0)
        let most = Locked(0)
        let mostThreads = Locked(0)
        let done = DispatchGroup()
        // Like the notifier: at most `size` jobs given at once, each slot freed by the job's end.
        let free = DispatchSemaphore(value: 3)
        for _ in 0..<60 {
            free.wait()
            done.enter()
            pool.run {
                let now = running.withLock { count -> Int in
                    count += 1
                    return count
                }
                most.withLock { $0 = max($0, now) }
                let live = pool.liveThreads
                mostThreads.withLock { $0 = max($0, live) }
                usleep(1_000)
                running.withLock { $0 -= 1 }
                free.signal()
                done.leave()
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(most.withLock { $0 } <= 3)
        #expect((1...3).contains(mostThreads.withLock { $0 }))
        #expect(pool.liveThreads <= 3)
        // Idle past `idleSeconds`, every thread ends; the next job starts one again.
        let deadline = Date().addingTimeInterval(10)
        while pool.liveThreads > 0 && Date() < deadline { usleep(20_000) }
        #expect(pool.liveThreads == 0)
        let again = DispatchSemaphore(value: 0)
        pool.run { again.signal() }
        #expect(again.wait(timeout: .now() + 5) == .success)
    }

    /// serve's hand-overs yield to answers (nice 10) and their caller stays as it was; a pool that does not
    /// (`sportello deliver`, tests delivering on their own thread) runs at the caller's priority.
    @Test func aPoolThatYieldsRunsItsJobsAtTheBackgroundPriority() throws {
        for yields in [true, false] {
            let pool = HandOverPool(size: 2, idleSeconds: 0.2)
            pool.yieldsToAnswers = yields
            let seen = Locked<[Int32?]>([])
            let done = DispatchGroup()
            let before = BackgroundPriority.callingThreadNiceness
            for _ in 0..<4 {
                done.enter()
                pool.run {
                    seen.withLock { $0.append(BackgroundPriority.callingThreadNiceness) }
                    done.leave()
                }
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
            #expect(seen.withLock { $0 } == Array(repeating: yields ? BackgroundPriority.niceness : before, count: 4))
            #expect(BackgroundPriority.callingThreadNiceness == before)
        }
    }
}
