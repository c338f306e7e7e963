import Foundation
import SportelloCore

/// A small configuration built in code, so each test states exactly what it depends on: `services` is the JSON
/// of the `services` list, `closures` of the `closures` list, and `patron` extra `comune` keys (with a leading
/// comma).
public func makeConfiguration(
    _ services: String, closures: String = "[]", patron: String = ""
) throws
    -> SiteConfiguration
{
    let json = """
        {"comune": {"name": "Comune di Prova", "baseURL": "https://prenota.prova.example.it"\(patron)},
         "closures": \(closures),
         "services": \(services)}
        """
    return try SiteConfiguration.parse(Data(json.utf8))
}

/// The civil date of an ISO `yyyy-mm-dd` literal written in a test; a typo stops the test at once.
public func date(_ text: String) -> CivilDate {
    guard let date = CivilDate(iso: text) else { fatalError("fixture: \(text) is not a yyyy-mm-dd date") }
    return date
}

/// The instant of a wall-clock time in Rome, from literals written in a test (`instant("2026-11-25", "08:00")`);
/// a typo stops the test at once.
public func instant(_ day: String, _ time: String) -> Int64 {
    guard let minutes = LocalTime(parsing: Substring(time))?.minutes,
        let instant = RomeTime.instant(date: date(day), minutes: minutes)
    else { fatalError("fixture: \(day) \(time) is not a time in Rome") }
    return instant
}
