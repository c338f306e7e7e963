import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

/// A full build into an output folder that does not exist yet is made in a staging folder and renamed into place.
@Suite struct StagedBuildTests {
    // Wednesday 25 November 2026, 08:00 in Valfiorita.
    let now = rome("2026-11-25", "08:00")

    /// Every file below `root`, relative, with its bytes.
    func tree(_ root: String) -> [String: Data] {
        var files: [String: Data] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: root) ?? .init() {
            var info = stat()
            guard stat("\(root)/\(name)", &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files[name] = FileManager.default.contents(atPath: "\(root)/\(name)")
        }
        return files
    }

    @Test func aBuildIntoAMissingFolderMakesTheSameTreeAndLeavesNoStagingFolder() throws {
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let source = FixtureOccupancy()
        source.set("carta-identita", rome("2026-11-26", "09:00"), SlotOccupancy(booked: 1, held: 0))
        let existing = "\(parent)/existing"
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: false)
        let usual = try demoPublisher(output: existing, inputsFingerprint: [1, 2, 3])
        let usualReport = try usual.publishAll(now: now, source: source)
        let missing = "\(parent)/deeper/missing"
        let staged = try demoPublisher(output: missing, inputsFingerprint: [1, 2, 3])
        let stagedReport = try staged.publishAll(now: now, source: source)

        #expect(stagedReport.rendered == usualReport.rendered && stagedReport.written == usualReport.written)
        #expect(stagedReport.data == usualReport.data && stagedReport.data > 0)
        let (expected, made) = (tree(existing), tree(missing))
        #expect(expected.count > 100)
        #expect(made.keys.sorted() == expected.keys.sorted())
        for (name, bytes) in expected { #expect(made[name] == bytes, "\(name)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(parent)/deeper") == ["missing"])
        // Each page's gzip copy has its modification time.
        for name in made.keys where name.hasSuffix(".gz") {
            var plain = stat()
            var compressed = stat()
            #expect(stat("\(missing)/\(name.dropLast(3))", &plain) == 0 && stat("\(missing)/\(name)", &compressed) == 0)
            #expect(plain.st_mtim.tv_sec == compressed.st_mtim.tv_sec, "\(name)")
            #expect(plain.st_mtim.tv_nsec == compressed.st_mtim.tv_nsec, "\(name)")
        }
        // The next build finds the site in place and rewrites nothing; its next free slots came across.
        let again = try staged.publishAll(now: now, source: source)
        #expect(again.written == 0 && again.data == 0)
        let catalogue = staged.renderer.layout.file(.catalogue, language: "it")
        let before = FileManager.default.contents(atPath: "\(missing)/\(catalogue)")
        try staged.publish([.catalogue], now: now, source: source)
        #expect(FileManager.default.contents(atPath: "\(missing)/\(catalogue)") == before)
    }

    @Test func stagingFoldersOfDeadBuildsAreRemovedAndLiveOnesKept() throws {
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dead = "\(parent)/output\(SitePublisher.stagingSuffix)\(Int32.max)"  // above any pid_max
        let alive = "\(parent)/output\(SitePublisher.stagingSuffix)\(getppid())"
        let other = "\(parent)/other\(SitePublisher.stagingSuffix)\(Int32.max)"  // another output folder's
        for folder in [dead, alive, other] {
            try FileManager.default.createDirectory(atPath: "\(folder)/servizi", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(folder)/index.html", contents: Data("<!doc".utf8))
        }
        let publisher = try demoPublisher(output: "\(parent)/output")
        try publisher.publishAll(now: now, source: FixtureOccupancy())
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: "\(alive)/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(other)/index.html"))
        #expect(FileManager.default.fileExists(atPath: "\(parent)/output/index.html"))
    }

    @Test func aFailedStagedBuildLeavesNeitherFolder() throws {
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        struct Unreadable: Error {}
        final class FailingSource: OccupancySource {
            func occupancy(
                serviceID: String?, from: Int64, to: Int64, now: Int64
            ) throws -> [String: [Int64: SlotOccupancy]] { throw Unreadable() }
        }
        let publisher = try demoPublisher(output: "\(parent)/output")
        #expect(throws: Unreadable.self) { try publisher.publishAll(now: now, source: FailingSource()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent).isEmpty)
    }
}
