import Foundation
import SportelloCore

extension SitePublisher {
    /// Writes an availability file (atomically, with its `.gz`) unless the one on disk says the same apart
    /// from when it was said: `generatedAt` is the instant its content was first published, so a rebuild that
    /// changes nothing rewrites nothing, as with the pages.
    func writeData(_ object: [String: Any], _ relative: String, now: Int64) throws -> Bool {
        var object = object
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            object["generatedAt"] = RomeTime.iso8601(now)
            return try AtomicFile.writeIfChanged(JSONWriter.bytes(object), to: path(relative), gzip: true)
        }
        // The usual case first, without parsing: the stamp where `JSONWriter` puts it, and the file exactly the
        // bytes this object makes with that stamp (then the parse below would find the same and keep the file).
        let existing = [UInt8](data)
        if let stamp = Self.generatedAt(in: existing) {
            var stamped = object
            stamped["generatedAt"] = stamp
            if JSONWriter.bytes(stamped) == existing {
                // Also puts back a missing .gz.
                return access(path(relative) + ".gz", F_OK) == 0
                    ? false : try AtomicFile.writeIfChanged(existing, to: path(relative), gzip: true)
            }
        }
        if case .object(let old)? = try? JSONValue.parse(data), case .string(let stamp)? = old["generatedAt"] {
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

    /// The text of the first `"generatedAt":"…"` in a file `JSONWriter` wrote (nil without one); the caller
    /// checks it by writing the object again with it.
    static func generatedAt(in bytes: [UInt8]) -> String? {
        let key = Array(#""generatedAt":""#.utf8)
        guard bytes.count > key.count else { return nil }
        var start = 0
        while start + key.count <= bytes.count {
            if bytes[start] == key[0], bytes[start..<start + key.count].elementsEqual(key) {
                let from = start + key.count
                guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: bytes[from..<end], as: UTF8.self)
            }
            start += 1
        }
        return nil
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
