import Foundation
import SportelloCore

extension SitePublisher {
    /// Writes an availability file (atomically, with its `.gz`) unless the one on disk says the same apart
    /// from when it was said: `generatedAt` is the instant its content was first published, so a rebuild that
    /// changes nothing rewrites nothing, as with the pages.
    ///
    /// The object is serialised once, with a placeholder where the stamp goes (keys are sorted, so every other
    /// byte is fixed), and compared with the file on disk around its stamp: a change republishes a week's file
    /// several times a second under a rush, and parsing the old file to serialise the object twice cost more
    /// than the week's page itself. A file a full build's `listing` shows absent is not looked for.
    func writeData(
        _ object: [String: Any], _ relative: String, now: Int64, listing: FolderListing? = nil
    ) throws -> Bool {
        try writeData(relative, now: now, listing: listing) { stamp in
            var object = object
            object["generatedAt"] = stamp
            return JSONWriter.bytes(object)
        }
    }

    /// `writeData(_:_:now:listing:)` for a file whose bytes `serialized` writes with the given `generatedAt`
    /// text, as `JSONWriter` would write the object (keys sorted): the week files, written straight as bytes.
    func writeData(
        _ relative: String, now: Int64, listing: FolderListing? = nil, serialized: (String) -> [UInt8]
    ) throws -> Bool {
        let absent = writesUnseen || (listing?.lacks(relative) ?? false)
        if absent {
            // Nothing to compare with: stamped and written at once.
            return try write(serialized(RomeTime.iso8601(now)), relative, listing: listing)
        }
        let template = serialized(Self.stampPlaceholder)
        guard let stamp = Self.stampRange(in: template) else {
            // Not reachable with the objects `AvailabilityData` makes; written whole, stamped now.
            return try AtomicFile.writeIfChanged(
                serialized(RomeTime.iso8601(now)), to: path(relative), gzip: true, knownAbsent: absent)
        }
        let (head, tail) = (template[..<stamp.lowerBound], template[stamp.upperBound...])
        if !absent, let old = FileManager.default.contents(atPath: path(relative)).map(Array.init),
            let oldStamp = Self.stampRange(in: old), old.count == head.count + oldStamp.count + tail.count,
            old[..<oldStamp.lowerBound].elementsEqual(head), old[oldStamp.upperBound...].elementsEqual(tail)
        {
            // Unchanged: only a missing .gz is put back.
            if access(path(relative) + ".gz", F_OK) == 0 { return false }
            return try AtomicFile.writeIfChanged(old, to: path(relative), gzip: true)
        }
        var stamped: [UInt8] = []
        stamped.reserveCapacity(template.count + 32)
        stamped.append(contentsOf: head)
        RomeTime.appendISO8601(now, to: &stamped)
        stamped.append(contentsOf: tail)
        return try AtomicFile.writeIfChanged(stamped, to: path(relative), gzip: true, knownAbsent: absent)
    }

    /// Stands for `generatedAt` while a file is serialised: a control character, which `JSONWriter` escapes, so
    /// these bytes appear nowhere else.
    static let stampPlaceholder = "\u{1}"

    /// Where the text of the top-level `generatedAt` lies in `bytes` (between its quotes), if it is there.
    static func stampRange(in bytes: [UInt8]) -> Range<Int>? {
        let key = Array("\"generatedAt\":\"".utf8)
        guard bytes.count > key.count else { return nil }
        var index = 0
        while index + key.count <= bytes.count {
            if bytes[index] == key[0], bytes[index..<index + key.count].elementsEqual(key) {
                let start = index + key.count
                guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return start..<end
            }
            index += 1
        }
        return nil
    }

    /// What a service's `next.json` lists: its first free starts within the booking window and the published
    /// weeks (`end`, where the occupancy read stops), and the last day looked at.
    func nextFreeData(
        _ service: Service, occupancy: [Int64: SlotOccupancy], now: Int64, end: Int64
    ) -> (free: [SlotAvailability], until: CivilDate) {
        let days = nextFreeDays(service)
        let free = service.freeSlots(
            now: now, days: days, before: end, occupancy: occupancy, limit: AvailabilityData.nextLimit)
        return (free, min(RomeTime.local(now).date.adding(days: days), RomeTime.local(end - 1).date))
    }
}
