import Foundation
import SportelloTesting

/// SPORTELLO_BENCH_KEEP=1: every bench leaves its temporary folders (comune, database, output) behind, to look
/// at them or profile a build by hand; otherwise each removes what it made when it ends, error or not.
let benchKeepsFolders = ProcessInfo.processInfo.environment["SPORTELLO_BENCH_KEEP"] == "1"

/// A bench's folder `TMPDIR/name`, kept at the end when SPORTELLO_BENCH_KEEP=1.
func benchFolder(_ name: String) throws -> TemporaryFolder {
    try TemporaryFolder(named: name, keep: benchKeepsFolders)
}

/// Removes a bench's folder (says so when it is kept, or when something in it could not be removed).
func finish(_ folder: TemporaryFolder) {
    if folder.keeps {
        print("kept \(folder.path)")
    } else if !folder.remove() {
        print("sportello-bench: could not remove all of \(folder.path)")
    }
}
