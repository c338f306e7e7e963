import Foundation
import SportelloCore
import SportelloHTTP
import Synchronization

/// The workers one comune may occupy at once in `sportello serve --comuni` (its fair share of the pool the
/// comuni share). A request past the share is not queued behind the comune's own rush: the comune answers it 503
/// with `Retry-After: 1` at once, so the rest of the workers stay free for the other comuni. Completions of
/// admitted work (a confirmation of a granted hold) and health probes go through even past it, as they do past
/// the server's own admission control. See README "Hosting many comuni".
final class WorkerShare: Sendable {
    /// The most requests of this comune answered at once (at least 1).
    let limit: Int
    private let inFlight = Atomic<Int>(0)
    private let refusals = Atomic<Int>(0)
    /// The second (uptime) of the last `comune_share_spent` line, so a rush logs one line a second, not one per
    /// refusal.
    private let lastWarning = Atomic<Int>(-1)

    /// A share of `limit` workers.
    init(limit: Int) { self.limit = max(1, limit) }

    /// A quarter of the workers of `limits`: one comune's rush leaves three quarters to the others (three rushes
    /// at once still leave a quarter). A comune's writes are bound by its one writer (group commit), not by its
    /// workers: measured, a rushed comune answered about as many holds on 4 workers as on 8 (README "Hosting many
    /// comuni").
    static func standardLimit(_ limits: HTTPLimits = .standard) -> Int { max(1, limits.workers / 4) }

    /// Requests of this comune being answered now.
    var occupied: Int { inFlight.load(ordering: .relaxed) }

    /// Requests refused since the start because the share was spent.
    var refused: Int { refusals.load(ordering: .relaxed) }

    /// `respond()`'s answer when the share has a worker left (or `mayExceed`), nil at once when it is spent.
    func answer(mayExceed: Bool, _ respond: () -> HTTPResponse) -> HTTPResponse? {
        let now = inFlight.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        defer { inFlight.wrappingSubtract(1, ordering: .acquiringAndReleasing) }
        guard now <= limit || mayExceed else {
            refusals.wrappingAdd(1, ordering: .relaxed)
            return nil
        }
        return respond()
    }

    /// Whether a refusal now should be logged: at most once a second.
    func shouldWarn() -> Bool {
        let second = Int(DispatchTime.now().uptimeNanoseconds / 1_000_000_000)
        let last = lastWarning.load(ordering: .relaxed)
        return last != second
            && lastWarning.compareExchange(expected: last, desired: second, ordering: .relaxed).exchanged
    }
}
