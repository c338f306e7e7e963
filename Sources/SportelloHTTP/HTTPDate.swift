import Foundation
import Glibc
import SportelloCore

/// HTTP-date (IMF-fixdate) formatting and parsing.
enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func format(_ epochSeconds: Int) -> String {
        var t = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = days[Int(parts.tm_wday) % 7]
        let month = months[Int(parts.tm_mon) % 12]
        return
            "\(day), \(two(parts.tm_mday)) \(month) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    static func now() -> String { format(Int(time(nil))) }

    /// `Date: <now>\r\n`, formatted once a second rather than once per answer.
    static func currentDateField() -> [UInt8] {
        let second = Int(time(nil))
        if let cached = dateField.withLock({ $0.second == second ? $0.bytes : nil }) { return cached }
        let bytes = Array("Date: \(format(second))\r\n".utf8)
        dateField.withLock { $0 = (second, bytes) }
        return bytes
    }

    private static let dateField = Locked<(second: Int, bytes: [UInt8])>((-1, []))

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`; nil for anything else (RFC 9110: ignore invalid dates).
    static func parse(_ text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", parts[0].hasSuffix(","),
            let day = Int(parts[1]), (1...31).contains(day),
            let month = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), (1900...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var parts2 = tm()
        parts2.tm_year = Int32(year - 1900)
        parts2.tm_mon = Int32(month)
        parts2.tm_mday = Int32(day)
        parts2.tm_hour = Int32(hour)
        parts2.tm_min = Int32(minute)
        parts2.tm_sec = Int32(second)
        return Int(timegm(&parts2))
    }
}
