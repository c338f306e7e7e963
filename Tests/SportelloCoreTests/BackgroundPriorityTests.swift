import Foundation
import Synchronization
import Testing

@testable import SportelloCore

/// `isCallingThreadLowered` answers from a thread-specific mark set by `lowerCallingThread`, per thread.
@Suite struct BackgroundPriorityTests {
    @Test func aLoweredThreadIsSeenAsLoweredAndOnlyIt() {
        let seen = Mutex<[String: Bool]>([:])
        let niceness = Mutex<Int32?>(nil)
        let done = DispatchGroup()
        done.enter()
        Thread {
            seen.withLock { $0["before"] = BackgroundPriority.isCallingThreadLowered }
            let lowered = BackgroundPriority.lowerCallingThread()
            seen.withLock { $0["lowered"] = lowered }
            seen.withLock { $0["after"] = BackgroundPriority.isCallingThreadLowered }
            niceness.withLock { $0 = BackgroundPriority.callingThreadNiceness }
            done.leave()
        }.start()
        done.wait()
        done.enter()
        Thread {
            seen.withLock { $0["another thread"] = BackgroundPriority.isCallingThreadLowered }
            done.leave()
        }.start()
        done.wait()
        #expect(seen.withLock { $0 } == ["before": false, "lowered": true, "after": true, "another thread": false])
        #expect((niceness.withLock { $0 } ?? 0) >= BackgroundPriority.niceness)
    }
}
