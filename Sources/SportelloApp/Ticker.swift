import Foundation
import Synchronization

/// A repeating action on its own thread (the 15-second clock of time-driven pages and retention). The action
/// reads the application's injected clock; only the pause between two runs is real time.
final class Ticker: BackgroundService {
    let name: String
    private let seconds: Double
    private let action = Mutex<(@Sendable () -> Void)?>(nil)
    private let wake = DispatchSemaphore(value: 0)

    init(name: String, every seconds: Double) {
        self.name = name
        self.seconds = seconds
    }

    /// What to run at every tick (set once its owner exists; until then a tick does nothing).
    func onTick(_ action: @escaping @Sendable () -> Void) { self.action.withLock { $0 = action } }

    func run(until stop: StopRequest) {
        while !stop.isRequested {
            action.withLock { $0 }?()
            _ = wake.wait(timeout: .now() + seconds)
        }
    }

    func interrupt() { wake.signal() }
}
