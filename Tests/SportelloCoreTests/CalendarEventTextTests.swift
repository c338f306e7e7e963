import Foundation
import Testing

@testable import SportelloCore

/// The calendar file's TEXT escaping and line folding (RFC 5545 §3.3.11, §3.1), now scalar by scalar (issue 16).
@Suite struct CalendarEventTextTests {
    @Test func escapingKeepsItsRules() {
        #expect(CalendarEvent.escape("a;b,c\\d\r\ne\rf\ng") == "a\\;b\\,c\\\\d\\nef\\ng")
        #expect(CalendarEvent.escape("Carta d'identità – Calci") == "Carta d'identità – Calci")
        #expect(CalendarEvent.escape("") == "")
    }

    @Test func foldingCutsAt75OctetsBetweenUTF8Sequences() {
        let short = String(repeating: "x", count: 75)
        #expect(CalendarEvent.fold(short) == short)
        let long = "DESCRIPTION:" + String(repeating: "è", count: 40)
        let folded = CalendarEvent.fold(long)
        let lines = folded.components(separatedBy: "\r\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.utf8.count <= 75 })
        #expect(lines[0].utf8.count == 74)  // "DESCRIPTION:" (12) + 31 × 2 octets; a 32nd "è" would make 76
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == long)
    }
}
