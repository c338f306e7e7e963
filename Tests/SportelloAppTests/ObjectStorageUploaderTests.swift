import Foundation
import SportelloCore
import SportelloTesting
import Testing

@testable import SportelloApp

@Suite struct ObjectStorageUploaderTests {
    func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "sportello-upload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/output/servizi", withIntermediateDirectories: true)
        return folder
    }

    @Test func theManifestFindsChangedNewAndRemovedFilesAndSurvivesARestart() throws {
        let folder = try temporaryFolder()
        defer { TemporaryFolder.removeTree(folder) }
        let output = folder + "/output"
        try Data("a".utf8).write(to: URL(fileURLWithPath: output + "/index.html"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: output + "/servizi/tari.html"))
        try Data("t".utf8).write(to: URL(fileURLWithPath: output + "/servizi/tari.html.tmp-1-2"))
        try Data("h".utf8).write(to: URL(fileURLWithPath: output + "/.hidden"))
        let first = UploadManifest.scan(output)
        #expect(Set(first.keys) == ["index.html", "servizi/tari.html"])
        var manifest = UploadManifest()
        #expect(manifest.difference(from: first).changed.count == 2)
        manifest.files = first
        try manifest.save(folder + "/state.tsv")
        #expect(UploadManifest.load(folder + "/state.tsv") == manifest)
        #expect(manifest.difference(from: UploadManifest.scan(output)).count == 0)
        // A page replaced by rename (as AtomicFile writes) is changed even with the same size; a removed one is gone.
        try Data("c".utf8).write(to: URL(fileURLWithPath: output + "/new.html"))
        #expect(rename(output + "/new.html", output + "/index.html") == 0)
        try FileManager.default.removeItem(atPath: output + "/servizi/tari.html")
        let difference = manifest.difference(from: UploadManifest.scan(output))
        #expect(Set(difference.changed.keys) == ["index.html"] && difference.removed == ["servizi/tari.html"])
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder + "/state.tsv"))
        #expect(UploadManifest.load(folder + "/state.tsv") == nil)
    }

    @Test func eachFileGetsTheHeadersNginxWouldSend() {
        let page = ObjectStorageUploader.headers(for: "servizi/tari/2026-W49/index.html")
        #expect(page.contentType == "text/html; charset=utf-8" && page.cacheControl == "no-cache" && !page.gzip)
        let twin = ObjectStorageUploader.headers(for: "index.html.gz")
        #expect(twin.contentType == "text/html; charset=utf-8" && twin.gzip)
        let style = ObjectStorageUploader.headers(for: "assets/sportello.css")
        #expect(style.contentType == "text/css; charset=utf-8" && style.cacheControl == "public, max-age=3600")
        #expect(ObjectStorageUploader.headers(for: "assets/endpoint-down.html").cacheControl == "no-store")
        #expect(ObjectStorageUploader.headers(for: "calendar.ics").contentType == "text/calendar; charset=utf-8")
    }

    /// A stand-in for rclone that fails until a file exists, then records what it was asked to copy.
    @Test func aFailingBucketIsRetriedAndReportedAndNothingIsLost() throws {
        let folder = try temporaryFolder()
        defer { TemporaryFolder.removeTree(folder) }
        let output = folder + "/output"
        try Data("a".utf8).write(to: URL(fileURLWithPath: output + "/index.html"))
        try Data("b".utf8).write(to: URL(fileURLWithPath: output + "/servizi/tari.html"))
        let script = folder + "/rclone"
        try Data(
            """
            #!/bin/sh
            [ -e "\(folder)/up" ] || { echo "connection refused" >&2; exit 1; }
            case "$1" in
              lsf) echo gone.html ;;
              copy) cat "$5" >> "\(folder)/copied" ;;
              delete) cat "$4" >> "\(folder)/deleted" ;;
            esac
            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        chmod(script, 0o755)
        var settings = ObjectStorageSettings(bucket: "pages", endpoint: "http://127.0.0.1:9")
        settings.rclonePath = script
        let uploader = ObjectStorageUploader(
            settings: settings, outputDirectory: output,
            stateFile: folder + "/state.tsv")
        let background = ServiceGroup([uploader])
        background.start()
        defer { background.stop() }
        let deadline = Date().addingTimeInterval(20)
        while !uploader.snapshot.failing && Date() < deadline { usleep(20_000) }
        let down = uploader.snapshot
        #expect(down.failing && down.lastError?.contains("connection refused") == true && down.lastSuccess == nil)
        _ = FileManager.default.createFile(atPath: folder + "/up", contents: nil)
        uploader.filesChanged()
        while uploader.snapshot.lastSuccess == nil && Date() < deadline { usleep(20_000) }
        let up = uploader.snapshot
        #expect(!up.failing && up.pending == 0 && up.uploaded == 2 && up.deleted == 1)
        let copied = (try? String(contentsOfFile: folder + "/copied", encoding: .utf8)) ?? ""
        #expect(Set(copied.split(separator: "\n")) == ["index.html", "servizi/tari.html"])
        #expect((try? String(contentsOfFile: folder + "/deleted", encoding: .utf8)) == "gone.html\n")
        #expect(UploadManifest.load(folder + "/state.tsv")?.files.count == 2)
    }
}
