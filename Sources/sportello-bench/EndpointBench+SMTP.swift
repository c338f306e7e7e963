import Foundation
import SportelloTesting

/// What the bench's SMTP sink saw: every Message-ID exactly once, and when the last mail arrived.
func reportSink(_ sink: SMTPSink, expected: Int, bookingsEnded: Double) {
    let received = sink.received
    let duplicates = received.values.filter { $0 > 1 }.count
    let verdict = received.count == expected && duplicates == 0 ? "exactly once" : "NOT exactly once"
    print(
        String(
            format: "          smtp sink: %d messages over %d connection(s), %d distinct Message-IDs, %d duplicated ",
            received.values.reduce(0, +), sink.connectionCount, received.count, duplicates)
            + String(format: "(\(verdict)); the last %.1f s after the last booking", sink.lastMessageAt - bookingsEnded)
    )
}
