extension CivilDate {
    /// Appends "2026-11-25" (`description`'s bytes) to `out`: the data files and pages write thousands of dates
    /// and times, and building each through string interpolation was a tenth of a cold build.
    public func appendISO(to out: inout [UInt8]) {
        Self.appendPadded(year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendPadded(month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        Self.appendPadded(day, 2, to: &out)
    }

    /// Appends `pad(value, width)`'s bytes to `out`.
    public static func appendPadded(_ value: Int, _ width: Int, to out: inout [UInt8]) {
        // A negative year keeps `pad`'s exact (odd) form; it is never on a page.
        guard value >= 0 else {
            out.append(contentsOf: pad(value, width).utf8)
            return
        }
        // Hours, minutes, months and days: two digits each, thousands of them per data file.
        if width == 2 && value < 100 {
            out.append(UInt8(ascii: "0") + UInt8(value / 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
            return
        }
        var digits = 1
        var divisor = 1
        while value / divisor >= 10 {
            digits += 1
            divisor *= 10
        }
        for _ in digits..<max(width, digits) { out.append(UInt8(ascii: "0")) }
        // Most significant digit first, appended in place: no slice of `out` to reverse (that copied it).
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
