import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// The top-level entries of `services` are read on every core at once: the result is in the file's order and the
/// error reported is the first in that order, whichever core met which first.
@Suite struct ServiceListReadingTests {
    func entries(_ count: Int, brokenAt broken: Set<Int> = []) -> String {
        let items = (0..<count).map { index in
            let id = broken.contains(index) ? "Not An Id \(index)" : "service-\(index)"
            return #"{"id": "\#(id)", "name": "S \#(index)", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}"#
        }
        return "[" + items.joined(separator: ", ") + "]"
    }

    @Test func servicesKeepTheFilesOrder() throws {
        let configuration = try makeConfiguration(entries(64))
        #expect(configuration.services.map(\.id) == (0..<64).map { "service-\($0)" })
    }

    @Test func theFirstErrorInTheFileIsTheOneReported() {
        for _ in 0..<20 {
            do {
                _ = try makeConfiguration(entries(64, brokenAt: [5, 40, 63]))
                Issue.record("broken ids were accepted")
            } catch let error as ConfigurationError {
                #expect(error.path == "services[5].id", "\(error)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
