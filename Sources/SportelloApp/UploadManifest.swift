import Foundation

/// What the bucket holds, as the uploader last left it: for each file of `output/` uploaded, the stamp it had
/// then (inode, size, modification time). A page is replaced by `rename`, so a rewritten page has a new inode;
/// one the publisher left alone (identical bytes are never rewritten) keeps its stamp and is not uploaded again.
/// Kept in a file beside the database, so after a restart only what changed meanwhile goes up.
struct UploadManifest: Equatable {
    struct Stamp: Equatable {
        var inode: UInt64
        var size: Int64
        var modified: Int64
    }

    var files: [String: Stamp] = [:]

    /// What differs between the bucket (this manifest) and `output/` as scanned now.
    struct Difference {
        var changed: [String: Stamp] = [:]
        var removed: [String] = []
        var count: Int { changed.count + removed.count }
    }

    func difference(from scanned: [String: Stamp]) -> Difference {
        var difference = Difference()
        for (path, stamp) in scanned where files[path] != stamp { difference.changed[path] = stamp }
        for path in files.keys where scanned[path] == nil { difference.removed.append(path) }
        difference.removed.sort()
        return difference
    }

    /// Every public file under `directory` with its stamp, by path relative to it. Hidden files and the
    /// temporary files of a write in progress (`<name>.tmp-<pid>-<n>`) are not pages.
    static func scan(_ directory: String) -> [String: Stamp] {
        var files: [String: Stamp] = [:]
        scan(directory, relative: "", into: &files)
        return files
    }

    private static func scan(_ folder: String, relative: String, into files: inout [String: Stamp]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasPrefix(".") && !name.contains(".tmp-") {
            // Names with a tab or a line break cannot be listed for rclone or in the manifest; the publisher
            // makes none.
            guard !name.contains(where: { $0 == "\t" || $0.isNewline }) else { continue }
            let path = "\(folder)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let relativePath = relative.isEmpty ? name : "\(relative)/\(name)"
            switch info.st_mode & S_IFMT {
            case S_IFDIR: scan(path, relative: relativePath, into: &files)
            case S_IFREG:
                let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                files[relativePath] = Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: modified)
            default: continue
            }
        }
    }

    /// Reads a manifest written by `save`; nil when there is none (or it is unreadable): the bucket is then
    /// compared with `output/` as a whole.
    static func load(_ path: String) -> UploadManifest? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var manifest = UploadManifest()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4, let inode = UInt64(fields[1]), let size = Int64(fields[2]),
                let modified = Int64(fields[3])
            else {
                return nil
            }
            manifest.files[String(fields[0])] = Stamp(inode: inode, size: size, modified: modified)
        }
        return manifest
    }

    /// Written to a temporary file and renamed over the old one: a crash leaves one or the other.
    func save(_ path: String) throws {
        var text = ""
        for (file, stamp) in files.sorted(by: { $0.key < $1.key }) {
            text += "\(file)\t\(stamp.inode)\t\(stamp.size)\t\(stamp.modified)\n"
        }
        let temporary = "\(path).tmp-\(getpid())"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [NSLocalizedDescriptionKey: "cannot replace \(path): \(reason)"])
        }
    }
}
