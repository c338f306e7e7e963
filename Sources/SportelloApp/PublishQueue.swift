import Foundation
import SportelloCore
import SportelloSite
import Synchronization

/// Re-renders pages after writes, off the request path. Marks made while a publish runs are merged into
/// the next one, so under a rush the pages are regenerated as often as the disk allows, not once per booking.
public final class PublishQueue: Sendable {
    private struct State {
        var pending: Set<PageID> = []
        var everything = false
        var stopped = false
        var published: UInt64 = 0
    }

    private let publisher: SitePublisher
    private let source: any OccupancySource
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    /// Called after each publish with the pages it covered (benchmarks and tests observe it).
    private let onPublished: (@Sendable (Set<PageID>) -> Void)?

    public init(publisher: SitePublisher, source: any OccupancySource, clock: @escaping @Sendable () -> Int64 = currentInstant,
                onPublished: (@Sendable (Set<PageID>) -> Void)? = nil) {
        self.publisher = publisher
        self.source = source
        self.clock = clock
        self.onPublished = onPublished
    }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "publisher"
        thread.start()
    }

    public func stop() {
        state.withLock { $0.stopped = true }
        wake.signal()
        done.wait()
    }

    public func mark(_ pages: Set<PageID>) {
        guard !pages.isEmpty else { return }
        state.withLock { $0.pending.formUnion(pages) }
        wake.signal()
    }

    public func markEverything() {
        state.withLock { $0.everything = true }
        wake.signal()
    }

    private func run() {
        while true {
            wake.wait()
            let (pages, everything, stopped) = state.withLock { state -> (Set<PageID>, Bool, Bool) in
                defer { state.pending = []; state.everything = false }
                return (state.pending, state.everything, state.stopped)
            }
            if !pages.isEmpty || everything {
                do {
                    if everything { try publisher.publishAll(now: clock(), source: source) }
                    else { try publisher.publish(pages, now: clock(), source: source) }
                    onPublished?(pages)
                } catch {
                    FileHandle.standardError.write(Data("sportello: publishing failed: \(error)\n".utf8))
                }
            }
            if stopped { break }
        }
        done.signal()
    }
}
