import SportelloCore
import SportelloHTTP
import SportelloStore

/// `GET /api/health` (`EndpointRoute.health`): the database, the publisher, the outbox and (with `publish.s3`)
/// the copy to object storage at a glance.
final class HealthController: EndpointController, Sendable {
    let database: Database
    /// The publisher's last passes (`PublishQueue.health`).
    let publishing: PublisherHealth
    /// The copy of the pages to object storage, when `publish.s3` is set.
    let uploader: ObjectStorageUploader?
    let answers: EndpointAnswers
    let clock: @Sendable () -> Int64

    init(
        database: Database, publishing: PublisherHealth, uploader: ObjectStorageUploader? = nil,
        answers: EndpointAnswers,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.database = database
        self.publishing = publishing
        self.uploader = uploader
        self.answers = answers
        self.clock = clock
    }

    /// `GET /api/health`: 200 when the database answers, the last publishing pass succeeded and no
    /// notification has been waiting for more than 15 minutes; 503 otherwise. No personal data.
    func health() -> HTTPResponse {
        let now = clock()
        var degraded: [String] = []
        var database: [String: Any] = ["ok": true]
        do {
            _ = try self.database.read { try $0.scalarInt("SELECT count(*) FROM sqlite_master") }
        } catch {
            database = ["ok": false, "error": "\(error)"]
            degraded.append("database")
        }
        let publishing = self.publishing.snapshot
        var publisherState: [String: Any] = ["ok": !publishing.failing]
        if let last = publishing.lastSuccess { publisherState["lastPublish"] = last }
        if publishing.rebuilding { publisherState["rebuilding"] = true }
        if publishing.failing {
            publisherState["error"] = publishing.lastError ?? ""
            degraded.append("publisher")
        }
        var outboxState: [String: Any] = ["ok": false]
        // An outbox that cannot be read is reported as degraded below, not hidden.
        if let outbox = try? Outbox(database: self.database).state(now: now) {
            let stuck = outbox.oldestDueSeconds > outboxStuckAfterSeconds
            outboxState = [
                "ok": !stuck, "backlog": outbox.backlog, "dead": outbox.dead,
                "oldestDueSeconds": Int(outbox.oldestDueSeconds),
            ]
            if stuck { degraded.append("outbox") }
        } else {
            degraded.append("outbox")
        }
        var objectStorage: [String: Any]?
        if let uploading = uploader?.snapshot {
            var uploaderState: [String: Any] = [
                "ok": !uploading.failing, "pending": uploading.pending,
                "uploaded": uploading.uploaded, "deleted": uploading.deleted,
            ]
            if let last = uploading.lastSuccess { uploaderState["lastSuccess"] = last }
            if uploading.failing {
                uploaderState["error"] = uploading.lastError ?? ""
                uploaderState["lastFailure"] = uploading.lastFailure ?? 0
                degraded.append("objectStorage")
            }
            objectStorage = uploaderState
        }
        var body: [String: Any] = [
            "status": degraded.isEmpty ? "ok" : "degraded", "degraded": degraded, "version": sportelloVersion,
            "time": now,
            "database": database, "publisher": publisherState, "outbox": outboxState,
        ]
        if let objectStorage { body["objectStorage"] = objectStorage }
        return json(degraded.isEmpty ? 200 : 503, body)
    }
}
