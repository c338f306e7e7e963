/// iCalendar (RFC 5545) text for one appointment. Times are written in UTC ("Z"), which every calendar
/// shows in the viewer's zone without needing a VTIMEZONE block.
public struct CalendarEvent: Sendable {
    /// Stays the same for every version of one appointment, so a calendar updates the event instead of adding one.
    public var uid: String
    /// Version number (RFC 5545 SEQUENCE): a change or cancellation carries a higher one than the event it replaces.
    public var sequence: Int
    /// Start of the appointment (Unix seconds).
    public var start: Int64
    /// End of the appointment (Unix seconds).
    public var end: Int64
    /// When this version was written (DTSTAMP, Unix seconds).
    public var stamp: Int64
    /// The title a calendar shows (service and office).
    public var summary: String
    /// The office's address, when known.
    public var location: String?
    /// Free text shown with the event: booking code, what to bring.
    public var description: String?
    /// Marks the event cancelled (STATUS:CANCELLED) so calendars strike it out.
    public var cancelled: Bool
    /// iTIP method (RFC 5546): PUBLISH for a file to import, REQUEST/CANCEL for a mail that updates the event.
    public var method: String
    /// The office as organizer (name, address), and the citizen as attendee: what REQUEST and CANCEL need.
    public var organizer: (name: String, email: String)?
    /// The citizen's mail address.
    public var attendee: String?

    /// `method` defaults to CANCEL for a cancelled event and PUBLISH otherwise.
    public init(
        uid: String, sequence: Int = 0, start: Int64, end: Int64, stamp: Int64, summary: String,
        location: String? = nil, description: String? = nil, cancelled: Bool = false, method: String? = nil,
        organizer: (name: String, email: String)? = nil, attendee: String? = nil
    ) {
        self.method = method ?? (cancelled ? "CANCEL" : "PUBLISH")
        self.organizer = organizer
        self.attendee = attendee
        self.uid = uid
        self.sequence = sequence
        self.start = start
        self.end = end
        self.stamp = stamp
        self.summary = summary
        self.location = location
        self.description = description
        self.cancelled = cancelled
    }

    /// The whole VCALENDAR with CRLF line ends and lines folded at 75 octets.
    public var ics: String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Sportello//Prenotazioni//IT", "CALSCALE:GREGORIAN",
            "METHOD:\(method)", "BEGIN:VEVENT",
            "UID:\(Self.escape(uid))", "SEQUENCE:\(sequence)", "DTSTAMP:\(Self.utc(stamp))",
            "DTSTART:\(Self.utc(start))", "DTEND:\(Self.utc(end))", "SUMMARY:\(Self.escape(summary))",
        ]
        if let organizer {
            lines.append("ORGANIZER;CN=\(Self.parameter(organizer.name)):mailto:\(organizer.email)")
        }
        if let attendee { lines.append("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:\(attendee)") }
        if let location { lines.append("LOCATION:\(Self.escape(location))") }
        if let description { lines.append("DESCRIPTION:\(Self.escape(description))") }
        lines.append("STATUS:\(cancelled ? "CANCELLED" : "CONFIRMED")")
        lines += ["END:VEVENT", "END:VCALENDAR"]
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    /// "20261125T083000Z"
    public static func utc(_ instant: Int64) -> String {
        let day = RomeTime.floorDiv(instant, 86_400)
        let date = CivilDate(dayNumber: Int(day))
        let seconds = Int(instant - day * 86_400)
        return "\(CivilDate.pad(date.year, 4))\(CivilDate.pad(date.month, 2))\(CivilDate.pad(date.day, 2))T"
            + "\(CivilDate.pad(seconds / 3600, 2))\(CivilDate.pad(seconds / 60 % 60, 2))"
            + "\(CivilDate.pad(seconds % 60, 2))Z"
    }

    /// A parameter value (RFC 5545 §3.2): quoted, without the characters it cannot hold.
    static func parameter(_ text: String) -> String {
        "\"" + text.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" } + "\""
    }

    /// TEXT escaping of RFC 5545 §3.3.11.
    /// Byte by byte, not character by character (a mail's calendar file costs CPU, issue 16): CRLF still
    /// reads as one line break, since a CR alone is dropped.
    static func escape(_ text: String) -> String {
        // Only ASCII characters change: bytes in, bytes out, and most texts need nothing.
        let special: (UInt8) -> Bool = { $0 == 0x5C || $0 == 0x3B || $0 == 0x2C || $0 == 0x0A || $0 == 0x0D }
        guard text.utf8.contains(where: special) else { return text }
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): result += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: ";"): result += [UInt8(ascii: "\\"), UInt8(ascii: ";")]
            case UInt8(ascii: ","): result += [UInt8(ascii: "\\"), UInt8(ascii: ",")]
            case UInt8(ascii: "\n"): result += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): break
            default: result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Folds a content line at 75 octets without splitting a UTF-8 sequence (RFC 5545 §3.1).
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var result = ""
        var width = 0
        for scalar in line.unicodeScalars {
            let size = scalar.utf8.count
            if width + size > 75 {
                result += "\r\n "
                width = 1
            }
            result.unicodeScalars.append(scalar)
            width += size
        }
        return result
    }
}
