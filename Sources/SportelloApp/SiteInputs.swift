import Foundation
import SportelloCore
import SportelloSite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files a site is loaded from, each read once: the configuration file and every file of the templates folder
/// but its assets (templates, texts, anything else there). The loaders parse these bytes and the inputs fingerprint
/// hashes the same bytes, so the two can run at once and a file changed meanwhile cannot leave pages stamped with
/// the fingerprint of other content than they were made from (docs/ARCHITECTURE.md §4, "Publishing").
struct SiteInputs: Sendable {
    /// The configuration file's bytes; nil when it cannot be read (its loader then says why).
    let configuration: [UInt8]?
    /// Every file of the templates folder outside `assets`, by its path relative to the folder ("week.html",
    /// "i18n/it.json"), sorted by that path.
    let files: [(name: String, bytes: [UInt8])]
    /// Whether the templates folder was listed and every file in it read: only then do the files above stand for
    /// the whole folder.
    let complete: Bool

    /// Reads the configuration at `configPath` and the templates folder at `templatesPath`.
    init(configPath: String, templatesPath: String) {
        var files: [(name: String, bytes: [UInt8])] = []
        var complete = true
        func walk(_ folder: String, prefix: String) {
            guard let directory = opendir(folder) else {
                complete = false
                return
            }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                // As the templates and the fingerprint always took them: no asset, nothing hidden at the top.
                if prefix.isEmpty, name.hasPrefix("assets") || name.hasPrefix(".") { continue }
                let path = "\(folder)/\(name)"
                var info = stat()
                // A folder is walked into; a link is followed to a file but never into a folder.
                guard lstat(path, &info) == 0 else {
                    complete = false
                    continue
                }
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(path, prefix: "\(prefix)\(name)/")
                    continue
                }
                if info.st_mode & S_IFMT == S_IFLNK, stat(path, &info) != 0 || info.st_mode & S_IFMT == S_IFDIR {
                    continue
                }
                guard let bytes = Self.contents(of: path) else {
                    complete = false
                    continue
                }
                files.append((prefix + name, bytes))
            }
        }
        walk(URL(fileURLWithPath: templatesPath).standardizedFileURL.path, prefix: "")
        files.sort { $0.name < $1.name }
        self.files = files
        self.complete = complete
        configuration = Self.contents(of: configPath)
    }

    /// The whole file at `path`, or nil when it cannot be opened or read.
    static func contents(of path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: 4096)) }
            let count = bytes.withUnsafeMutableBytes { raw -> Int in
                guard let start = raw.baseAddress else { return -1 }
                return read(descriptor, start + filled, raw.count - filled)
            }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// The file of the templates folder at `name` (a relative path such as "i18n/it.json"), if it was read.
    func file(_ name: String) -> [UInt8]? {
        var low = 0
        var high = files.count
        while low < high {
            let middle = (low + high) / 2
            if files[middle].name < name { low = middle + 1 } else { high = middle }
        }
        return low < files.count && files[low].name == name ? files[low].bytes : nil
    }

    /// The templates among the files (as `TemplateLibrary` names them), as text; nil when one is not UTF-8 (the
    /// library's own loader then reports it).
    func templateSources() -> [String: String]? {
        var sources: [String: String] = [:]
        for (name, bytes) in files {
            guard let templateName = TemplateLibrary.templateName(relativePath: name) else { continue }
            guard let source = String(validating: bytes, as: UTF8.self) else { return nil }
            sources[templateName] = source
        }
        return sources
    }

    /// SHA-256 of the running program (its size, modification time and inode), the version, the configuration and
    /// every file read (names and bytes); nil when one could not be read. The assets are not pages' inputs: they
    /// are copied and compared byte for byte.
    func fingerprint() -> [UInt8]? {
        guard complete, let configuration else { return nil }
        var program = stat()
        guard stat("/proc/self/exe", &program) == 0 else { return nil }
        var input = Array("\(sportelloVersion)\n".utf8)
        input.reserveCapacity(configuration.count + files.reduce(0) { $0 + $1.bytes.count + $1.name.utf8.count + 16 })
        let modified = program.st_mtim
        input.append(contentsOf: "\(program.st_size) \(modified.tv_sec).\(modified.tv_nsec) \(program.st_ino)\n".utf8)
        input.append(contentsOf: configuration)
        for (name, bytes) in files {
            input.append(contentsOf: "\n\(name) \(bytes.count)\n".utf8)
            input.append(contentsOf: bytes)
        }
        return SHA256.hash(input)
    }
}
