import Foundation
import SportelloCore

extension SitePublisher {
    /// Writes an availability file (atomically, with its `.gz`) unless the one on disk says the same apart
    /// from when it was said: `generatedAt` is the instant its content was first published, so a rebuild that
    /// changes nothing rewrites nothing, as with the pages.
    func writeData(_ object: [String: Any], _ relative: String, now: Int64) throws -> Bool {
        var object = object
        if let data = FileManager.default.contents(atPath: path(relative)),
            case .object(let old)? = try? JSONValue.parse(data), case .string(let stamp)? = old["generatedAt"]
        {
            object["generatedAt"] = stamp
            let unchanged = JSONWriter.bytes(object)
            // Also puts back a missing .gz.
            if AtomicFile.hasContents(unchanged, at: path(relative)) {
                return try AtomicFile.writeIfChanged(unchanged, to: path(relative), gzip: true)
            }
        }
        object["generatedAt"] = RomeTime.iso8601(now)
        return try AtomicFile.writeIfChanged(JSONWriter.bytes(object), to: path(relative), gzip: true)
    }

    /// A service's `next.json`: its first free starts within the booking window and the published weeks
    /// (`end`, where the occupancy read stops).
    func writeNextData(
        _ service: Service, occupancy: [Int64: SlotOccupancy], now: Int64, end: Int64
    ) throws -> Bool {
        let days = nextFreeDays(service)
        let free = service.freeSlots(
            now: now, days: days, before: end, occupancy: occupancy, limit: AvailabilityData.nextLimit)
        let lastDay = min(RomeTime.local(now).date.adding(days: days), RomeTime.local(end - 1).date)
        return try writeData(
            AvailabilityData.next(service, free: free, until: lastDay, renderer: renderer),
            renderer.layout.nextData(service.id), now: now)
    }
}
