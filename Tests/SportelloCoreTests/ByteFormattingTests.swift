import Testing

@testable import SportelloCore

/// Dates, times and integers written straight as bytes (the data files of a cold build) are the very text the
/// string forms gave before they were rewritten over the byte writers.
@Suite struct ByteFormattingTests {
    /// The string form of `RomeTime.iso8601` as it was written before it went through bytes.
    func referenceISO8601(_ instant: Int64) -> String {
        let instant = RomeTime.clamped(instant)
        let offset = RomeTime.offset(at: instant)
        let local = instant + offset
        let day = RomeTime.floorDiv(local, 86_400)
        let seconds = Int(local - day * 86_400)
        let date = CivilDate(dayNumber: Int(day))
        let reference = "\(CivilDate.pad(date.year, 4))-\(CivilDate.pad(date.month, 2))-\(CivilDate.pad(date.day, 2))"
        let (hours, minutes) = (CivilDate.pad(seconds / 3_600, 2), CivilDate.pad(seconds / 60 % 60, 2))
        let time = "\(hours):\(minutes):\(CivilDate.pad(seconds % 60, 2))"
        return "\(reference)T\(time)+\(CivilDate.pad(Int(offset) / 3_600, 2)):00"
    }

    @Test func instantsAcrossSummerTimeAndTheSupportedEdgesReadAsBefore() {
        // Both changes of 2027, every 7 minutes and 13 seconds around them, and far past and future instants.
        let spring = RomeTime.summerTime(in: 2027).start
        let autumn = RomeTime.summerTime(in: 2027).end
        var instants: [Int64] = [0, -1, 1_798_761_599, .min, .max, -62_135_596_800, -70_000_000_000]
        for centre in [spring, autumn] {
            instants += stride(from: centre - 86_400, through: centre + 86_400, by: 433).map { $0 }
        }
        for instant in instants {
            #expect(RomeTime.iso8601(instant) == referenceISO8601(instant), "instant \(instant)")
        }
        #expect(RomeTime.iso8601(RomeTime.summerTime(in: 2027).start) == "2027-03-28T03:00:00+02:00")
    }

    @Test(arguments: [
        (2026, 11, 25, "2026-11-25"), (987, 1, 2, "0987-01-02"), (5, 12, 31, "0005-12-31"), (0, 1, 1, "0000-01-01"),
        (12_345, 6, 7, "12345-06-07"), (-5, 3, 4, "00-5-03-04"),
    ])
    func datesArePaddedAsBefore(_ year: Int, _ month: Int, _ day: Int, _ text: String) throws {
        let date = try #require(CivilDate(year: year, month: month, day: day))
        #expect(date.description == text)
    }

    /// An instant written with its day's date and offset given reads as `iso8601` does, on every day of a year
    /// (the two days the clocks change included) and for instants of the day before and after.
    @Test func instantsWrittenWithTheirDayReadAsBefore() throws {
        var day = try #require(CivilDate(year: 2027, month: 1, day: 1))
        while day.year == 2027 {
            var iso: [UInt8] = []
            day.appendISO(to: &iso)
            let offset = RomeTime.uniformOffset(on: day)
            let midnight = Int64(day.dayNumber) * 86_400
            for instant in stride(from: midnight - 10_800, through: midnight + 97_200, by: 1_787) {
                var out: [UInt8] = []
                RomeTime.appendISO8601(instant, onDay: day, iso: iso, offset: offset, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == RomeTime.iso8601(instant), "\(day) \(instant)")
            }
            day = day.adding(days: 1)
        }
    }

    /// The two-digit shortcut (hours, minutes, months, days) writes what `pad` writes, at every width.
    @Test func paddedNumbersAppendAsPadWritesThem() {
        for width in 0...5 {
            for value in Array(-3...120) + [999, 1_000, 9_999, 10_000, 123_456] {
                var out: [UInt8] = []
                CivilDate.appendPadded(value, width, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == CivilDate.pad(value, width), "\(value) at \(width)")
            }
        }
    }

    @Test func integersAndBooleansAppendAsJSONWriterWritesThem() {
        for number in [0, 7, 10, 99, 100, 1_234_567, -1, -42, Int.max, Int.min] {
            var out: [UInt8] = []
            JSONWriter.appendInteger(number, to: &out)
            #expect(out == JSONWriter.bytes(number), "\(number)")
            #expect(String(decoding: out, as: UTF8.self) == String(number))
        }
        var flags: [UInt8] = []
        JSONWriter.appendBool(true, to: &flags)
        JSONWriter.appendBool(false, to: &flags)
        #expect(String(decoding: flags, as: UTF8.self) == "truefalse")
    }

    @Test func aFragmentIsWrittenAsItsBytes() {
        var slot: [UInt8] = []
        JSONWriter.appendString("a \"b\" <c>", to: &slot)
        let text = JSONWriter.string([
            "z": 1, "a": JSONWriter.Fragment(Array("[1,2]".utf8)), "m": JSONWriter.Fragment(slot),
        ])
        #expect(text == #"{"a":[1,2],"m":"a \"b\" \u003cc\u003e","z":1}"#)
    }
}
