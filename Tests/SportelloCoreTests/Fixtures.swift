import Foundation
@testable import SportelloCore

/// A small configuration built in code, so each test states exactly what it depends on.
func makeConfiguration(_ services: String, closures: String = "[]", patron: String = "") throws -> SiteConfiguration {
    let json = """
    {"comune": {"name": "Comune di Prova", "baseURL": "https://prenota.prova.example.it"\(patron)},
     "closures": \(closures),
     "services": \(services)}
    """
    return try SiteConfiguration.parse(Data(json.utf8))
}

func date(_ text: String) -> CivilDate { CivilDate(iso: text)! }

func instant(_ day: String, _ time: String) -> Int64 {
    RomeTime.instant(date: date(day), minutes: LocalTime(parsing: Substring(time))!.minutes)!
}
