import Foundation

/// How many program hand-overs may run at once in `serve` while requests keep the database's writer busy
/// (`WriteRate`, a rush). Through sendmail a mail is a process costing about twice a booking's CPU, so during the
/// first `holdSeconds` of a busy spell none starts and nothing is claimed: the answers get the cores, and mail,
/// durable in the outbox, leaves as soon as the spell ends (all hand-overs at once). A spell longer than that is
/// not a short rush but steady load: then `pacedHandOvers` run, so mail never waits for the load to end.
/// docs/ARCHITECTURE.md §7.
struct HandOverPacing {
    /// Longest a busy spell holds program hand-overs back altogether.
    static let holdSeconds = 5.0
    /// Hand-overs at once once a busy spell has lasted `holdSeconds`.
    static let pacedHandOvers = 2
    /// How long the writer must stay quiet for a busy spell to end: one slow flush in a rush empties a 50 ms
    /// window, and ending the spell there started every hand-over (and the courier process) in the rush's middle.
    static let quietSeconds = 0.25

    /// When the current busy spell began (seconds on the caller's clock), nil while the writer is quiet.
    private var busySince: Double?
    /// When the writer last turned quiet during a spell, nil while it is busy.
    private var quietSince: Double?

    /// Hand-overs allowed at once, of `all`, given whether the writer is busy now (`now`: seconds on any clock
    /// that only moves forward).
    mutating func allowed(of all: Int, busy: Bool, now: Double) -> Int {
        if busy {
            quietSince = nil
            if busySince == nil { busySince = now }
        } else if busySince != nil {
            let quiet = quietSince ?? now
            quietSince = quiet
            if now - quiet >= Self.quietSeconds {
                busySince = nil
                quietSince = nil
            }
        }
        guard let since = busySince else { return all }
        return now - since < Self.holdSeconds ? 0 : min(all, Self.pacedHandOvers)
    }
}
