extension RomeTime {
    /// An instant as ISO 8601 local time with its offset ("2026-03-29T10:00:00+02:00"): the wall clock of
    /// Europe/Rome, so a reader sees the time the office shows, and the offset, so it needs no time-zone data.
    public static func iso8601(_ instant: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        appendISO8601(instant, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `iso8601(instant)`'s bytes to `out` without making the string: a week's data file has two per
    /// slot.
    public static func appendISO8601(_ instant: Int64, to out: inout [UInt8]) {
        let instant = clamped(instant)
        let offset = offset(at: instant)
        let local = instant + offset
        let day = floorDiv(local, 86_400)
        CivilDate(dayNumber: Int(day)).appendISO(to: &out)
        appendClock(Int(local - day * 86_400), offset: offset, to: &out)
    }

    /// "T10:00:00+02:00": the wall-clock part of `iso8601`, `seconds` after local midnight, and its offset.
    private static func appendClock(_ seconds: Int, offset: Int64, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "T"))
        CivilDate.appendPadded(seconds / 3_600, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilDate.appendPadded(seconds / 60 % 60, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilDate.appendPadded(seconds % 60, 2, to: &out)
        out.append(UInt8(ascii: "+"))
        CivilDate.appendPadded(Int(offset) / 3_600, 2, to: &out)
        out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "0"), UInt8(ascii: "0")])
    }

    /// `appendISO8601(instant)` for an instant of the local day `date`, given `date`'s ISO bytes and the offset in
    /// force all that day (`uniformOffset(on:)`, nil on the two days the clocks change): a week's data file writes
    /// a few hundred instants of seven days, and each worked out its date and offset twice. An instant of
    /// another day, or of a day without one offset, takes the general way.
    public static func appendISO8601(
        _ instant: Int64, onDay date: CivilDate, iso: [UInt8], offset: Int64?, to out: inout [UInt8]
    ) {
        guard let offset, supportedInstants.contains(instant) else { return appendISO8601(instant, to: &out) }
        let seconds = instant + offset - Int64(date.dayNumber) * 86_400
        guard seconds >= 0 && seconds < 86_400 else { return appendISO8601(instant, to: &out) }
        out.append(contentsOf: iso)
        appendClock(Int(seconds), offset: offset, to: &out)
    }
}
