import Foundation
import SportelloCore
import SportelloNotify
import SportelloStore

extension Commands {
    static func notifier(_ site: LoadedSite, _ options: Options) throws -> Notifier {
        let spool = ((options.databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "spool")
        return Notifier(database: try site.openDatabase(), renderer: site.renderer, spool: spool)
    }

    /// `sportello deliver`: one delivery pass (for cron when `serve` is not running), then exit.
    public static func deliver(_ options: Options) throws {
        try options.expecting([])
        let site = try LoadedSite(options: options)
        let report = try notifier(site, options).deliverDue(clock: currentInstant)
        print(
            """
            delivered \(report.delivered), failed \(report.failed) (will retry), dead \(report.dead), reminders queued \
            \(report.remindersQueued), settled after a restart \(report.recovered)
            """
        )
    }

    /// `sportello outbox`: pending, dead and recently sent notifications.
    public static func outbox(_ options: Options) throws {
        try options.expecting([])
        let site = try LoadedSite(options: options)
        let messages = try notifier(site, options).outbox.list()
        if messages.isEmpty { print("the outbox is empty") }
        for message in messages {
            let state: String
            if let sent = message.sentAt {
                state =
                    """
                    sent \(RomeTime.local(sent).date) \
                    \(LocalTime(minutes: RomeTime.local(sent).minutes)?.description ?? "")
                    """
            } else if message.dead {
                state = "DEAD"
            } else if message.claimedUntil != nil {
                state = "delivering"
            } else {
                state = "pending"
            }
            let error = message.lastError.map { " – \($0)" } ?? ""
            print(
                """
                #\(message.id)\t\(message.kind)\t\(message.channel)\t\(message.recipient)\t\(state)\tattempts \
                \(message.attempts)\(error)
                """
            )
        }
    }
}
