import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AtomicFile {
    /// Creates `path`, which did not exist, and its gzip `twin` (same times, linked first): each is written as a
    /// file without a name in the destination's folder (`O_TMPFILE`) and named only when complete (`linkat`), so
    /// a reader never sees half of one and a writer killed before the link leaves nothing behind to clean up.
    /// One inode operation less per file than a named temporary file and its `rename`. False when nothing could
    /// be done this way (an older kernel, another file system, or the name taken meanwhile): the caller then
    /// writes named temporary files.
    static func createNew(_ bytes: [UInt8], twin: [UInt8]?, at path: String) throws -> Bool {
        guard unnamedFilesWork.load(ordering: .relaxed) else { return false }
        let folder = (path as NSString).deletingLastPathComponent
        guard let page = try unnamedFile(bytes, in: folder, readingTimes: twin != nil, settingTimes: nil) else {
            return false
        }
        defer { close(page.descriptor) }
        if let twin {
            guard let compressed = try unnamedFile(twin, in: folder, readingTimes: false, settingTimes: page.times)
            else { return false }
            defer { close(compressed.descriptor) }
            guard link(compressed.descriptor, as: path + ".gz") else { return false }
        }
        return link(page.descriptor, as: path)
    }

    /// An open file without a name in `folder` (made when missing) holding `bytes`; nil when the system cannot
    /// make one (when it does not support them, never tried again).
    private static func unnamedFile(
        _ bytes: [UInt8], in folder: String, readingTimes: Bool, settingTimes: [timespec]?
    ) throws -> (descriptor: Int32, times: [timespec]?)? {
        var descriptor = open(folder, unnamedFileFlags | O_WRONLY | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            try createDirectory(folder)
            descriptor = open(folder, unnamedFileFlags | O_WRONLY | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else {
            // Unsupported here: never again. Any other failure (a full disk…) the named temporary file reports.
            if [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) { unnamedFilesWork.store(false, ordering: .relaxed) }
            return nil
        }
        switch fill(descriptor, with: bytes, readingTimes: readingTimes, settingTimes: settingTimes) {
        case .success(let times): return (descriptor, times)
        case .failure(let failure):
            close(descriptor)
            throw FileWriteError(path: folder, operation: failure.operation, code: failure.code)
        }
    }

    /// Gives the unnamed file `descriptor` the name `path`; false when the name exists (or linking fails).
    private static func link(_ descriptor: Int32, as path: String) -> Bool {
        if linkat(descriptor, "", AT_FDCWD, path, emptyPathFlag) == 0 { return true }
        if errno == EEXIST { return false }
        // Kernels before 6.10 allow AT_EMPTY_PATH only with CAP_DAC_READ_SEARCH; the descriptor's name in /proc
        // links the same file without it.
        if linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 { return true }
        // Neither way links here (no /proc, no permission): never again; other failures are this file's.
        if [ENOENT, EPERM, EXDEV, EOPNOTSUPP].contains(errno) { unnamedFilesWork.store(false, ordering: .relaxed) }
        return false
    }

    /// Linux's `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`; Swift does not import the macro): the same bits on
    /// x86-64 and ARM64; elsewhere 0 and never used.
    #if os(Linux) && (arch(x86_64) || arch(arm64))
    private static let unnamedFileFlags: Int32 = 0o20_000_000 | O_DIRECTORY
    #else
    private static let unnamedFileFlags: Int32 = 0
    #endif

    /// Linux's `AT_EMPTY_PATH` (not imported by Swift): link the descriptor itself.
    private static let emptyPathFlag: Int32 = 0x1000

    /// Cleared once the system has refused an unnamed file or its link: later files go the named way at once.
    #if os(Linux) && (arch(x86_64) || arch(arm64))
    static let unnamedFilesWork = Atomic<Bool>(true)
    #else
    static let unnamedFilesWork = Atomic<Bool>(false)
    #endif
}
