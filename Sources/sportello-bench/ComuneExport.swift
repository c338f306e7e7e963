import Foundation
import SportelloCore
import SportelloTesting

/// `sportello-bench comune --folder DIR`: the comune `sportello-bench build` measures, left in `DIR` for a bench
/// that runs its own processes (Tests/bench/hugo): `sportello.json` (the synthetic comune) and `sportello.sqlite`
/// (its bookings, holds and closures, `seedOccupancy`). Prints the two paths and how many bookings.
func exportComune(services: Int, weeks: Int, languages: [String], folder: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let config = "\(folder)/sportello.json"
    try SyntheticComune.json(services: services, weeks: weeks, languages: languages).write(
        to: URL(fileURLWithPath: config))
    let database = "\(folder)/sportello.sqlite"
    // A database left by an earlier export would add its bookings to these.
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    let bookings = try seedOccupancy(
        database: database,
        configuration: SyntheticComune.configuration(services: services, weeks: weeks, languages: languages))
    print("config \(config)")
    print("database \(database)")
    print("bookings \(bookings)")
}
