import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// An anagrafe with two desks shared by services of different lengths, open `hours` on `days`.
func anagrafe(
    days: [String] = ["mon", "tue", "wed", "thu", "fri"], hours: String = "09:00-12:00",
    pauses: String = "[]"
) throws -> Catalogue {
    let schedule = days.map { "\"\($0)\": [\"\(hours)\"]" }.joined(separator: ", ")
    let configuration = try makeConfiguration(
        """
        [{"id": "anagrafe", "name": "Anagrafe", "desks": ["Sportello 1", "Sportello 2"], "slotMinutes": 10,
          "schedule": {\(schedule)}, "pauses": \(pauses),
          "children": [
            {"id": "residenza", "name": "Residenza", "desks": ["Sportello 1", "Sportello 2"], "appointmentMinutes": 40},
            {"id": "carta-identita", "name": "Carta d'identità", "desks": ["Sportello 1", "Sportello 2"],
             "appointmentMinutes": 20},
            {"id": "certificati", "name": "Certificati", "desks": ["Sportello 2"], "appointmentMinutes": 30,
             "stepMinutes": 15},
            {"id": "tributi", "name": "Tributi", "slotMinutes": 20, "capacity": 2}
          ]}]
        """)
    return Catalogue(configuration: configuration)
}

let desk1 = DeskID(office: "anagrafe", name: "Sportello 1")
let desk2 = DeskID(office: "anagrafe", name: "Sportello 2")

func interval(_ day: String, _ time: String, minutes: Int) -> DeskInterval {
    let start = instant(day, time)
    return DeskInterval(start: start, end: start + Int64(minutes) * 60)!
}

/// The worked example of README "Desks shared by services" (its first JSON block), as a catalogue.
func readmeDeskExample() throws -> Catalogue {
    let readme = try String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md"), encoding: .utf8)
    let start = try #require(readme.range(of: "### Desks shared by services\n"))
    let open = try #require(readme.range(of: "```json\n", range: start.upperBound..<readme.endIndex))
    let close = try #require(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
    return Catalogue(configuration: try makeConfiguration("[\(readme[open.upperBound..<close.lowerBound])]"))
}
