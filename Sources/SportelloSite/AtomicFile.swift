import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces files so a reader (nginx, a browser) only ever sees the old or the new page, never half of one:
/// the bytes go to a temporary file in the same folder, then `rename(2)` swaps it in (a file that does not exist
/// yet is linked in whole instead: `createNew`). Identical bytes are not rewritten, which keeps mtimes (and
/// caches) stable.
public enum AtomicFile {
    /// Returns true when the file was written, false when it already held exactly these bytes.
    ///
    /// With `gzip`, a compressed copy `<path>.gz` with the same modification time is kept beside it, for
    /// nginx's `gzip_static`; it is swapped in just before the page, so the two never disagree for long.
    /// The twin comes from `Gzip.compress`, Sportello's own deflate encoder (faster than zlib on these pages).
    ///
    /// `knownAbsent` says the caller has just listed the folder and the name was not in it (a full build): the
    /// file is created without first asking whether it is there; should it have appeared meanwhile, it is
    /// compared and replaced as usual.
    @discardableResult
    public static func writeIfChanged(
        _ bytes: [UInt8], to path: String, gzip: Bool = false, knownAbsent: Bool = false
    ) throws -> Bool {
        if knownAbsent {
            let compressed = gzip ? Gzip.compress(bytes) : nil
            if try createNew(bytes, twin: compressed, at: path) { return true }
        }
        var absent = false
        if hasContents(bytes, at: path, absent: &absent) {
            if gzip && access(path + ".gz", F_OK) != 0, let compressed = Gzip.compress(bytes) {
                let temporary = try writeTemporary(compressed, for: path + ".gz").path
                try matchModificationTime(of: temporary, to: path)
                try swapIn(temporary, at: path + ".gz")
            }
            return false
        }
        let compressed = gzip ? Gzip.compress(bytes) : nil
        // A new file (every file of a cold build) is made without a name and named when complete.
        if absent, try createNew(bytes, twin: compressed, at: path) { return true }
        // The page's times are read and the twin's set through their open descriptors: no path walk for either.
        let page = try writeTemporary(bytes, for: path, readingTimes: compressed != nil)
        if let compressed {
            do {
                let twin = try writeTemporary(compressed, for: path + ".gz", settingTimes: page.times)
                try swapIn(twin.path, at: path + ".gz")
            } catch {
                unlink(page.path)
                throw error
            }
        }
        try swapIn(page.path, at: path)
        return true
    }

    /// Gives `path` the modification time of `reference`.
    static func matchModificationTime(of path: String, to reference: String) throws {
        var info = stat()
        guard stat(reference, &info) == 0 else { throw FileWriteError(path: reference, operation: "stat", code: errno) }
        var times = [info.st_atim, info.st_mtim]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else {
            throw FileWriteError(path: path, operation: "utimensat", code: errno)
        }
    }

    private static func swapIn(_ temporary: String, at path: String) throws {
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileWriteError(path: path, operation: "rename", code: code)
        }
    }

    /// Writes the bytes to a new temporary file in the destination's folder and returns its path; with
    /// `readingTimes`, also its access and modification times as written, and with `settingTimes` it is given
    /// those times before it is closed.
    private static func writeTemporary(
        _ bytes: [UInt8], for path: String, readingTimes: Bool = false, settingTimes: [timespec]? = nil
    ) throws -> (path: String, times: [timespec]?) {
        let temporary = "\(path).tmp-\(processID)-\(temporaryCounter.add(1, ordering: .relaxed).newValue)"
        var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            try createDirectory((path as NSString).deletingLastPathComponent)
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else { throw FileWriteError(path: temporary, operation: "open", code: errno) }
        let result = fill(descriptor, with: bytes, readingTimes: readingTimes, settingTimes: settingTimes)
        close(descriptor)
        switch result {
        case .success(let times): return (temporary, times)
        case .failure(let failure):
            unlink(temporary)
            throw FileWriteError(path: temporary, operation: failure.operation, code: failure.code)
        }
    }

    /// Why filling a file failed: the system call and its `errno`.
    struct FillFailure: Error {
        let operation: String
        let code: Int32
    }

    /// Writes all of `bytes` to an open file, then reads its times (`readingTimes`) or sets them (`settingTimes`).
    static func fill(
        _ descriptor: Int32, with bytes: [UInt8], readingTimes: Bool, settingTimes: [timespec]?
    ) -> Result<[timespec]?, FillFailure> {
        var written = 0
        let failure: FillFailure? = bytes.withUnsafeBytes { raw -> FillFailure? in
            while written < raw.count {
                let result = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return FillFailure(operation: "write", code: errno)
                }
                written += result
            }
            return nil
        }
        if let failure { return .failure(failure) }
        var times: [timespec]?
        if readingTimes {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { return .failure(FillFailure(operation: "stat", code: errno)) }
            times = [info.st_atim, info.st_mtim]
        }
        if let settingTimes, futimens(descriptor, settingTimes) != 0 {
            return .failure(FillFailure(operation: "utimensat", code: errno))
        }
        return .success(times)
    }

    /// Whether the file's first line after its doctype is `marker`: a page made from the inputs the marker names
    /// (see `WeekInputs`; the caller checks that its `.gz` twin is there). Reads at most 256 bytes.
    static func startsWithMarker(_ marker: [UInt8], at path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: 256)
        let count = head.withUnsafeMutableBytes { raw -> Int in
            while true {
                let result = read(descriptor, raw.baseAddress!, raw.count)
                if result < 0 && errno == EINTR { continue }
                return result
            }
        }
        guard count > 0 else { return false }
        let start = head.prefix(min(count, 64)).firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return start + marker.count <= count && head[start..<start + marker.count].elementsEqual(marker)
    }

    /// Whether the file at `path` holds exactly `bytes`; `absent` is set when there is no such file.
    static func hasContents(_ bytes: [UInt8], at path: String, absent: inout Bool) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else {
            absent = errno == ENOENT
            return false
        }
        guard Int(info.st_size) == bytes.count else { return false }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var existing = [UInt8](repeating: 0, count: bytes.count)
        var offset = 0
        let complete = existing.withUnsafeMutableBytes { raw -> Bool in
            while offset < raw.count {
                let result = read(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if result < 0 && errno == EINTR { continue }
                if result <= 0 { return false }
                offset += result
            }
            return true
        }
        return complete
            && existing.withUnsafeBytes { old in
                bytes.withUnsafeBytes { new in memcmp(old.baseAddress!, new.baseAddress!, new.count) == 0 }
            }
    }

    /// Creates a folder and any missing parents (a full build makes one per service).
    public static func createDirectory(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT else { throw FileWriteError(path: path, operation: "mkdir", code: errno) }
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path else {
            throw FileWriteError(path: path, operation: "mkdir", code: ENOENT)
        }
        try createDirectory(parent)
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileWriteError(path: path, operation: "mkdir", code: errno)
        }
    }

    /// Removes from `folder` (not its subfolders) the temporary files of writers that died before their rename
    /// (a `kill -9` in the middle of a publish): `<name>.tmp-<pid>-<n>` whose process is gone. Those of a
    /// running process, this one included, are left alone. Returns how many were removed.
    @discardableResult
    public static func removeLeftovers(inFolder folder: String) -> Int {
        // Housekeeping only: a folder not written yet has nothing left over.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        return removeLeftovers(inFolder: folder, names: names)
    }

    /// `removeLeftovers(inFolder:)` over a listing of `folder` the caller already made.
    static func removeLeftovers(inFolder folder: String, names: [String]) -> Int {
        var removed = 0
        for name in names {
            // A leftover ends with its counter's digits: most names are pages, passed over without a search.
            guard let last = name.utf8.last, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(last),
                let marker = name.range(of: ".tmp-", options: .backwards)
            else { continue }
            let parts = name[marker.upperBound...].split(separator: "-")
            guard parts.count == 2, let pid = Int32(parts[0]), UInt64(parts[1]) != nil, pid > 0, pid != processID else {
                continue
            }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }
            if unlink(folder.hasSuffix("/") ? folder + name : "\(folder)/\(name)") == 0 { removed += 1 }
        }
        return removed
    }

    /// Temporary names only need to be unique among this process's writers: other processes differ by pid.
    private static let processID = getpid()
    private static let temporaryCounter = Atomic<UInt64>(0)
}
