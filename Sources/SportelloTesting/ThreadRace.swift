import Foundation

/// Races for tests and benches: `count` threads of their own, released together (`concurrentPerform` would use
/// only as many threads as there are cores, which on a small machine is hardly a race).
public enum ThreadRace {
    /// Runs `body(index)` for every index below `count`, each on its own thread, all released at once; returns
    /// when every one has returned.
    public static func run(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let start = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                start.wait()
                body(index)
                group.leave()
            }.start()
        }
        for _ in 0..<count { start.signal() }
        group.wait()
    }
}
