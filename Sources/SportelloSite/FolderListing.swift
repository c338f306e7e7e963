import Foundation

/// The names in a few output folders, listed once: a full build looks up whether a week page's `.gz` and its
/// data files are there in it instead of asking the kernel one path at a time, and finds the old weeks to prune
/// in the same listing.
struct FolderListing {
    /// Each listed folder (relative to the output folder, with its trailing slash) and its names; a folder that
    /// cannot be listed (not written yet) has none.
    private(set) var names: [String: [String]] = [:]
    /// The relative path of every listed name.
    private var paths: Set<String> = []

    /// Lists `folders` (relative, each ending in "/") under `outputDirectory`.
    init(folders: some Sequence<String>, in outputDirectory: String) {
        for folder in folders where names[folder] == nil {
            let listed = (try? FileManager.default.contentsOfDirectory(atPath: "\(outputDirectory)/\(folder)")) ?? []
            names[folder] = listed
            for name in listed { paths.insert(folder + name) }
        }
    }

    /// Whether `relative` (a path under the output folder) was there when the folders were listed.
    func contains(_ relative: String) -> Bool { paths.contains(relative) }

    /// Whether `relative` was surely not there: its folder was listed (or could not be, not existing yet) and
    /// the name was not in it. False for a file in a folder not listed, which may or may not be there.
    func lacks(_ relative: String) -> Bool {
        guard let slash = relative.utf8.lastIndex(of: UInt8(ascii: "/")) else { return false }
        let folder = String(relative[...slash])
        return names[folder] != nil && !paths.contains(relative)
    }
}
