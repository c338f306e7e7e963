import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AtomicFile {
    /// Creates `path` and, with a `twin`, `<path>.gz` (same times) in a folder no reader can see yet: a full
    /// build into a new staging folder, renamed into place whole when complete (`SitePublisher.publishAllUnseen`).
    /// Nothing there is visible half-written, so each file is written under its own name at once: three system
    /// calls a file instead of the unnamed file's four, and no temporary name to clean up. False when the name is
    /// taken (the caller then replaces it the usual way).
    static func createUnseen(_ bytes: [UInt8], twin: [UInt8]?, at path: String) throws -> Bool {
        guard let times = try createUnseen(bytes, at: path, readingTimes: twin != nil, settingTimes: nil) else {
            return false
        }
        if let twin { return try createUnseen(twin, at: path + ".gz", readingTimes: false, settingTimes: times) != nil }
        return true
    }

    /// One new file holding `bytes` (its folder made when missing); nil when the name exists. Returns its times
    /// as written with `readingTimes`, else an empty list.
    private static func createUnseen(
        _ bytes: [UInt8], at path: String, readingTimes: Bool, settingTimes: [timespec]?
    ) throws -> [timespec]? {
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        var descriptor = open(path, flags, 0o644)
        if descriptor < 0 && errno == ENOENT {
            try createDirectory((path as NSString).deletingLastPathComponent)
            descriptor = open(path, flags, 0o644)
        }
        guard descriptor >= 0 else {
            if errno == EEXIST { return nil }
            throw FileWriteError(path: path, operation: "open", code: errno)
        }
        defer { close(descriptor) }
        switch fill(descriptor, with: bytes, readingTimes: readingTimes, settingTimes: settingTimes) {
        case .success(let times): return times ?? []
        case .failure(let failure):
            unlink(path)
            throw FileWriteError(path: path, operation: failure.operation, code: failure.code)
        }
    }
}
