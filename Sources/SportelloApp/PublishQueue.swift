import Foundation
import SportelloCore
import SportelloSite
import Synchronization

/// Re-renders pages after writes, off the request path, in two lanes so the page a citizen is waiting
/// for never queues behind a big one:
/// - the week lane renders week pages (and whole rebuilds), a few milliseconds whatever the site's size;
/// - the summary lane renders service pages and the catalogue, whose "next free slot" can lag a moment.
/// Marks made while a lane works are merged into its next pass, so under a rush pages are regenerated as
/// often as the machine allows, not once per booking.
public final class PublishQueue: Sendable {
    private let weeks: Lane
    private let summaries: Lane
    /// When pages were last published and whether the last pass failed, for `/api/health`.
    public let health: PublisherHealth

    /// Publishes through `publisher` from `source`; `onPublished` and `onRebuilt` tell tests when pages are on disk.
    public init(
        publisher: SitePublisher, source: any OccupancySource, clock: @escaping @Sendable () -> Int64 = currentInstant,
        onPublished: (@Sendable (Set<PageID>) -> Void)? = nil, onRebuilt: (@Sendable () -> Void)? = nil
    ) {
        // Right away when idle (a lone confirmation shows in milliseconds); when changes keep coming while a
        // pass runs, at most twenty passes a second and never more than half the time, and once they have kept
        // coming for a quarter of a second (a rush), at most five a second: the processor goes to the requests,
        // and each pass takes in more bookings per page written. A pass under a rush rewrites the same few weeks
        // (three files each, with their `.gz`): at twenty passes a second that took a fifth to a quarter of the
        // CPU of 1,500 bookings/s on two cores. A page lags a rush by at most a fifth of a second more.
        let health = PublisherHealth()
        self.health = health
        weeks = Lane(name: "publisher-weeks", health: health, busyInterval: 0.05, rushInterval: 0.2, busyRest: 1) {
            pages, everything in
            if everything {
                try publisher.publishAll(now: clock(), source: source)
                onRebuilt?()
            } else {
                try publisher.publish(pages, now: clock(), source: source)
            }
            onPublished?(pages)
        }
        // At most four passes a second, and one once marks have kept coming for five passes: under a rush the
        // catalogue of a big comune would otherwise be re-rendered after every booking, taking CPU from the
        // requests for a "next free slot" line (every file rewritten is a new inode, and on a file system
        // without a journal, allocating one scans past every inode deleted in the last minute).
        summaries = Lane(
            name: "publisher-summaries", health: health, minimumInterval: 0.25, busyInterval: 0.25, rushInterval: 1
        ) { pages, _ in
            try publisher.publish(pages, now: clock(), source: source)
            onPublished?(pages)
        }
    }

    /// The two publishing threads, for a `ServiceGroup` to run: stopped, each lane publishes what is marked.
    public var lanes: [any BackgroundService] { [weeks, summaries] }

    /// Queues `pages` for re-rendering: weeks on the fast lane, service pages and catalogue on the other.
    public func mark(_ pages: Set<PageID>) {
        var weekPages: Set<PageID> = []
        var summaryPages: Set<PageID> = []
        for page in pages {
            if case .week = page { weekPages.insert(page) } else { summaryPages.insert(page) }
        }
        weeks.mark(weekPages)
        summaries.mark(summaryPages)
    }

    /// Queues a whole rebuild (midnight, reload, start-up) on the week lane.
    public func markEverything() { weeks.markEverything() }
}

/// One publishing thread with its pending pages.
private final class Lane: BackgroundService {
    private struct State {
        var pending: Set<PageID> = []
        var everything = false
        /// A wake is on its way for what is pending: marks until the next pass need not send another (each
        /// signal is a system call on the request path).
        var wakeSent = false
    }

    /// The longest rest after a pass under load, whatever the pass took: a bound on how late a page can be.
    static let longestRest = 0.5

    let name: String
    private let health: PublisherHealth
    private let minimumInterval: Double
    private let busyInterval: Double
    private let rushInterval: Double
    private let busyRest: Double

    /// Busy passes in a row after which the lane is in a rush: `rushInterval` instead of `busyInterval`.
    static let passesBeforeRush = 5
    private let work: @Sendable (Set<PageID>, Bool) throws -> Void
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    /// `minimumInterval`: the least time between the starts of two passes. `busyInterval`: the same, but only
    /// when marks arrived while the previous pass ran (the lane is under load); `rushInterval` (default: the
    /// same) once that has been so for `passesBeforeRush` passes in a row. `busyRest`: under load, the
    /// least pause after a pass as a multiple of its duration (1: the lane works at most half the time), at
    /// most `longestRest`; none after a whole rebuild.
    init(
        name: String, health: PublisherHealth, minimumInterval: Double = 0, busyInterval: Double = 0,
        rushInterval: Double? = nil, busyRest: Double = 0,
        work: @escaping @Sendable (Set<PageID>, Bool) throws -> Void
    ) {
        self.name = name
        self.health = health
        self.minimumInterval = minimumInterval
        self.busyInterval = busyInterval
        self.rushInterval = rushInterval ?? busyInterval
        self.busyRest = busyRest
        self.work = work
    }

    func interrupt() { wake.signal() }

    func mark(_ pages: Set<PageID>) {
        guard !pages.isEmpty else { return }
        let signal = state.withLock { state -> Bool in
            state.pending.formUnion(pages)
            defer { state.wakeSent = true }
            return !state.wakeSent
        }
        if signal { wake.signal() }
    }

    func markEverything() {
        state.withLock { $0.everything = true }
        wake.signal()
    }

    /// Publishes what was marked whenever woken; asked to stop, publishes what is pending, then returns.
    func run(until stop: StopRequest) {
        // Passes in a row that found marks made while they ran.
        var busyPasses = 0
        while true {
            wake.wait()
            let stopped = stop.isRequested
            let (pages, everything) = state.withLock { state -> (Set<PageID>, Bool) in
                defer {
                    state.pending = []
                    state.everything = false
                    state.wakeSent = false
                }
                return (state.pending, state.everything)
            }
            if !pages.isEmpty || everything {
                let started = Date()
                // A whole rebuild is judged apart from the lane's own passes: its failure leaves every page
                // stale, which a later small pass that succeeds does not mend.
                let part = everything ? PublisherHealth.fullBuild : name
                do {
                    try work(pages, everything)
                    health.succeeded(at: Int64(Date().timeIntervalSince1970), part: part)
                } catch {
                    health.failed(at: Int64(Date().timeIntervalSince1970), error: "\(error)", part: part)
                    // Those pages still show the old state: retried with the lane's next pass, and until one
                    // succeeds /api/health stays degraded.
                    state.withLock { $0.pending.formUnion(pages) }
                    Log.error(
                        "publish_failed",
                        ["lane": .text(name), "pages": .int(Int64(pages.count)), "error": .text("\(error)")])
                }
                // Marks arriving meanwhile wait (and merge) until the interval is over; a stop cuts it short.
                let busy = state.withLock { !$0.pending.isEmpty || $0.everything }
                // The rest follows the lane's own small passes only, and is bounded: after a whole rebuild the
                // pages marked meanwhile go out at once.
                let took = Date().timeIntervalSince(started)
                let rest = everything ? 0 : min(took * busyRest, Self.longestRest)
                busyPasses = busy ? busyPasses + 1 : 0
                let spacing = busyPasses > Self.passesBeforeRush ? rushInterval : busyInterval
                let interval = max(minimumInterval, busy ? max(spacing, took + rest) : 0)
                var woken = false
                while !stopped, case let rest = interval - Date().timeIntervalSince(started), rest > 0 {
                    guard wake.wait(timeout: .now() + rest) == .success else { break }
                    woken = true
                    if stop.isRequested { break }
                }
                if woken { wake.signal() }
            }
            if stopped { break }
        }
    }
}
