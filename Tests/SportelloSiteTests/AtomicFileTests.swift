import Foundation
import Testing

@testable import SportelloSite

/// New files are made without a name and linked in when complete; files that exist are replaced by rename.
@Suite struct AtomicFileTests {
    func modificationTime(_ path: String) throws -> timespec {
        var info = stat()
        try #require(stat(path, &info) == 0)
        return info.st_mtim
    }

    func sameTime(_ a: timespec, _ b: timespec) -> Bool { a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec }

    /// The text `/bin/gzip` reads from `path`, when this machine has gzip.
    func gunzip(_ path: String) throws -> String? {
        try gunzipped(path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aNewPageAndItsTwinAppearWholeWithOneTimeAndNothingElse() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/new/folder/page.html"
        let page = String(repeating: "<p>pagina</p>", count: 500)
        #expect(try AtomicFile.writeIfChanged(Array(page.utf8), to: path, gzip: true))
        #expect(read(path) == page)
        #expect(sameTime(try modificationTime(path), try modificationTime(path + ".gz")))
        if let unpacked = try gunzip(path + ".gz") { #expect(unpacked == page) }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: "\(folder)/new/folder").sorted()
                == ["page.html", "page.html.gz"])
    }

    /// A stale twin without its page (a page removed by hand): the name is taken, so the new one is swapped in.
    @Test func aStaleTwinWithoutItsPageIsReplaced() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/page.html"
        _ = FileManager.default.createFile(atPath: path + ".gz", contents: Data("not gzip".utf8))
        #expect(try AtomicFile.writeIfChanged(Array("nuova".utf8), to: path, gzip: true))
        #expect(read(path) == "nuova")
        #expect(sameTime(try modificationTime(path), try modificationTime(path + ".gz")))
        if let unpacked = try gunzip(path + ".gz") { #expect(unpacked == "nuova") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["page.html", "page.html.gz"])
    }

    /// A page that exists is replaced (rename), its twin too, still with one time; unchanged bytes are left alone.
    @Test func anExistingPageIsReplacedWithItsTwin() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/page.html"
        #expect(try AtomicFile.writeIfChanged(Array("prima".utf8), to: path, gzip: true))
        let first = try modificationTime(path)
        #expect(try !AtomicFile.writeIfChanged(Array("prima".utf8), to: path, gzip: true))
        #expect(sameTime(try modificationTime(path), first))
        #expect(try AtomicFile.writeIfChanged(Array("dopo".utf8), to: path, gzip: true))
        #expect(read(path) == "dopo")
        #expect(sameTime(try modificationTime(path), try modificationTime(path + ".gz")))
        if let unpacked = try gunzip(path + ".gz") { #expect(unpacked == "dopo") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["page.html", "page.html.gz"])
    }

    /// A full build creates the files its listing shows absent without a look first: page and twin appear whole
    /// with one time; a file that is there after all (listed wrongly, or made meanwhile) is still compared and
    /// replaced, never left stale.
    @Test func aFileKnownAbsentIsCreatedAndOneThatIsThereAfterAllIsReplaced() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/new/page.html"
        #expect(try AtomicFile.writeIfChanged(Array("prima".utf8), to: path, gzip: true, knownAbsent: true))
        #expect(read(path) == "prima")
        #expect(sameTime(try modificationTime(path), try modificationTime(path + ".gz")))
        if let unpacked = try gunzip(path + ".gz") { #expect(unpacked == "prima") }
        #expect(try AtomicFile.writeIfChanged(Array("dopo".utf8), to: path, gzip: true, knownAbsent: true))
        #expect(read(path) == "dopo")
        #expect(sameTime(try modificationTime(path), try modificationTime(path + ".gz")))
        if let unpacked = try gunzip(path + ".gz") { #expect(unpacked == "dopo") }
        #expect(try !AtomicFile.writeIfChanged(Array("dopo".utf8), to: path, gzip: true, knownAbsent: true))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: "\(folder)/new").sorted()
                == ["page.html", "page.html.gz"])
    }

    /// A listing knows a name absent only in a folder it listed (or found missing), never in one it did not list.
    @Test func aListingSaysAbsentOnlyForTheFoldersItListed() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/a", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(folder)/a/there.html", contents: Data("x".utf8))
        let listing = FolderListing(folders: ["a/", "missing/"], in: folder)
        #expect(!listing.lacks("a/there.html"))
        #expect(listing.lacks("a/absent.html"))
        #expect(listing.lacks("missing/page.html"))
        #expect(!listing.lacks("b/page.html"))
        #expect(!listing.lacks("page.html"))
    }
}
