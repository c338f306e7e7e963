import SportelloCore
import SportelloStore

extension Application {
    /// The approval settings of every service that needs approval, by service id.
    var approvalsByService: [String: ApprovalSettings] {
        Dictionary(
            site.catalogue.services.compactMap { service in service.approval.map { (service.id, $0) } },
            uniquingKeysWith: { first, _ in first })
    }

    /// Each tick: requests nobody confirmed or refused by their service's `expiresHoursBefore` expire, their
    /// slots are free again and their citizens told (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
    func expireUnansweredRequests(now: Int64) {
        do {
            let expired = try store.expireRequests(
                approvals: approvalsByService, now: now, messages: site.configuration.messagePolicy)
            afterCommit.apply(expired.change)
            if !expired.value.isEmpty {
                Log.info("requests_expired", ["count": .int(Int64(expired.value.count))])
            }
        } catch {
            // They stay pending, their slots kept, until a tick succeeds: say why.
            Log.error("request_expiry_failed", ["error": .text("\(error)")])
        }
    }
}
