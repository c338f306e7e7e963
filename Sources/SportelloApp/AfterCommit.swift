import SportelloSite
import SportelloStore

/// The one place that reacts to a committed write: the pages its change touched are marked for re-rendering
/// and the delivery worker is woken when it queued messages. Every write of the Store returns a
/// `StoreChange` once its transaction (or its group-committed batch) is durable; the caller hands it here and
/// remembers nothing else (docs/ARCHITECTURE.md §4).
struct AfterCommit: Sendable {
    let queue: PublishQueue
    let notificationWorker: NotificationWorker
    /// For each desk service, the services sharing a desk with it (`Catalogue.deskPartners`): a change to one
    /// moves what the others offer at the same time, so their pages are marked too.
    var deskPartners: [String: [String]] = [:]

    /// Applies `change`. `deliveryDelay`: seconds before the worker is woken, for answers whose timing must not
    /// tell whether a message went out (the worker starts composing only once the answer has left).
    func apply(_ change: StoreChange, deliveryDelay: Double = 0) {
        let pages = Self.pages(of: change, deskPartners: deskPartners)
        if !pages.isEmpty { queue.mark(pages) }
        guard change.messagesQueued > 0 else { return }
        if deliveryDelay > 0 {
            notificationWorker.wake(after: deliveryDelay)
        } else {
            notificationWorker.wake()
        }
    }

    /// The public pages whose content a change moved: each slot's week, service page and the catalogue; for a
    /// block, every week its range covers; for a desk service, the same of every service sharing its desks.
    static func pages(of change: StoreChange, deskPartners: [String: [String]] = [:]) -> Set<PageID> {
        var pages: Set<PageID> = []
        for slot in change.slots {
            for serviceID in [slot.serviceID] + (deskPartners[slot.serviceID] ?? []) {
                pages.formUnion(SitePublisher.pages(touchedBy: serviceID, slotStart: slot.start))
            }
        }
        for block in change.blocks {
            for serviceID in [block.serviceID] + (deskPartners[block.serviceID] ?? []) {
                var instant = block.startsAt
                while instant < block.endsAt {
                    pages.formUnion(SitePublisher.pages(touchedBy: serviceID, slotStart: instant))
                    instant += 7 * 86_400
                }
                let last = max(block.startsAt, block.endsAt - 1)
                pages.formUnion(SitePublisher.pages(touchedBy: serviceID, slotStart: last))
            }
        }
        return pages
    }
}
