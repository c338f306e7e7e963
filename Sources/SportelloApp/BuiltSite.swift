import Foundation
import SportelloSite

/// A finished `sportello build`: what it published, and the site it was published from, kept in memory.
public struct BuiltSite: Sendable {
    /// The site the pages were rendered from.
    public let site: LoadedSite
    /// What the build rendered, wrote and removed.
    public let report: PublishReport

    /// Ends the process successfully, the output published and every line written: the site's model (a catalogue,
    /// templates, texts: thousands of objects at a big comune) is not taken apart first, since nobody reads it again
    /// and the system frees the whole process at once. Only the one-shot command does this; `serve` and the tests
    /// keep running.
    public func endProcess() -> Never {
        withExtendedLifetime(self) {
            // Standard output is buffered when it is not a terminal; `exit` writes out what is left.
            exit(0)
        }
    }
}
