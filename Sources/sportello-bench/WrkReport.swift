import Foundation
import Glibc
import SportelloApp
import SportelloCore
import SportelloHTTP
import SportelloSite
import SportelloStore
import SportelloTesting

/// Lines such as `outcome slot_full 4521` and `latency p99 12.345 ms` from the wrk scripts' `done()`.
struct WrkReport {
    var outcomes: [String: Int] = [:]
    var latency: [String: Double] = [:]
    var requests = 0
    var socketErrors = 0
    var requestsPerSecond = 0.0

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case "outcome" where words.count >= 3:
                outcomes[words[1...(words.count - 2)].joined(separator: " ")] = Int(words[words.count - 1]) ?? 0
            case "latency" where words.count >= 3: latency[words[1]] = Double(words[2]) ?? 0
            case "requests" where words.count == 2: requests = Int(words[1]) ?? 0
            case "socket-errors":
                // connect, read, write, timeout; not "status" (wrk's count of non-2xx answers, a loser's 409 among
                // them)
                for (index, word) in words.enumerated()
                where ["connect", "read", "write", "timeout"].contains(word) && index + 1 < words.count {
                    socketErrors += Int(words[index + 1]) ?? 0
                }
            case "Requests/sec:" where words.count >= 2: requestsPerSecond = Double(words[1]) ?? 0
            default:
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("Requests/sec:") {
                    requestsPerSecond = Double(trimmed.dropFirst(13).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
    }
}
