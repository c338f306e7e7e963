import Foundation
import SportelloCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SitePublisher {
    /// A full build when the output folder does not exist yet (a first build, a cold start): every file is
    /// written into a staging folder beside it, `<output>.staging-<pid>`, which no reader knows of, and the
    /// folder is renamed into place whole at the end. A reader sees no site, then all of it; a process killed
    /// meanwhile leaves only the staging folder, removed by the next such build. Each file is then created
    /// under its own name (`AtomicFile.createUnseen`), with no temporary name or link per file.
    ///
    /// Nil when the output folder exists (the usual per-file replacement applies), when its name has no
    /// parent folder to stage in, or when the output folder appeared meanwhile (the staged copy is dropped).
    /// Returns the report and the next free slots the catalogue showed.
    func publishAllUnseen(
        now: Int64, source: any OccupancySource
    ) throws -> (report: PublishReport, nextFree: [String: SlotAvailability?])? {
        guard !writesUnseen else { return nil }
        var info = stat()
        guard lstat(outputDirectory, &info) != 0, errno == ENOENT else { return nil }
        let name = (outputDirectory as NSString).lastPathComponent
        guard !name.isEmpty, !["/", ".", ".."].contains(name) else { return nil }
        let parent = (outputDirectory as NSString).deletingLastPathComponent
        Self.removeDeadStagingFolders(of: name, in: parent)
        let staging = (parent as NSString).appendingPathComponent("\(name)\(Self.stagingSuffix)\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)  // this process's own, from a build that failed
        try AtomicFile.createDirectory(staging)
        let stagedPublisher = SitePublisher(
            renderer: renderer, outputDirectory: staging, assetsDirectory: assetsDirectory,
            inputsFingerprint: inputsFingerprint, writesUnseen: true)
        let report: PublishReport
        do {
            report = try stagedPublisher.publishAll(now: now, source: source)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        // rename(2) does not replace a folder with files in it: an output folder made meanwhile is kept.
        guard rename(staging, outputDirectory) == 0 else {
            try? FileManager.default.removeItem(atPath: staging)
            return nil
        }
        return (report, stagedPublisher.lock.withLock { $0 })
    }

    /// What follows the output folder's name in a staging folder's, before the pid.
    static let stagingSuffix = ".staging-"

    /// Removes the staging folders of `name` in `parent` left by processes that died before renaming them.
    static func removeDeadStagingFolders(of name: String, in parent: String) {
        let prefix = name + stagingSuffix
        let folder = parent.isEmpty ? "." : parent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for candidate in names where candidate.hasPrefix(prefix) {
            guard let pid = Int32(candidate.dropFirst(prefix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(candidate))
        }
    }
}
