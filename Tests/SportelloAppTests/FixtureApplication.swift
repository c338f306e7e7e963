import Foundation
import SportelloCore
import SportelloSite
import SportelloTesting

@testable import SportelloApp

/// The fixture comune opened as `serve` opens it, in a temporary folder of its own (database and pages): where
/// the tests of the application's background work (publisher lanes, its services) start. The test calls
/// `remove()` (in a `defer`) when it is done with the application: the folder goes with everything in it.
final class FixtureApplication {
    let folder: TemporaryFolder
    let site: LoadedSite
    let application: Application

    /// `name`: the start of the folder's name; `onPublished` and `buildFirst` as in `LoadedSite.openApplication`.
    init(_ name: String, onPublished: (@Sendable (Set<PageID>) -> Void)? = nil, buildFirst: Bool = true) throws {
        folder = try TemporaryFolder(prefix: "sportello-\(name)")
        do {
            site = try LoadedSite(options: FixtureComune.options(in: folder.path))
            (application, _) = try site.openApplication(onPublished: onPublished, buildFirst: buildFirst)
        } catch {
            folder.remove()
            throw error
        }
    }

    /// Removes the folder (the database, the pages).
    func remove() {
        folder.remove()
    }
}
