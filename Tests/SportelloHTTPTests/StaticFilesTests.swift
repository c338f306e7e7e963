import Foundation
import Glibc
import Testing

@testable import SportelloHTTP

@Suite struct StaticFilesTests {
    /// root/index.html, root/sub/index.html, root/sub/page.html, root/style.css(+.gz), root/app.js(+stale .gz),
    /// root/404.html, root/empty/ (no index), root/.secret, root/escape -> /etc (symlink out), outside/secret.txt.
    final class Site {
        let temp: TempDirectory
        let root: String
        let files: StaticFiles
        let gzipBytes: [UInt8] = [0x1F, 0x8B, 8, 0, 1, 2, 3, 4]

        init() throws {
            temp = try TempDirectory()
            root = temp.path + "/site"
            let old = Date(timeIntervalSince1970: 1_700_000_000)
            let newer = Date(timeIntervalSince1970: 1_700_000_100)
            try temp.write("site/index.html", "<h1>Home</h1>")
            try temp.write("site/sub/index.html", "<h1>Sub</h1>")
            try temp.write("site/sub/page.html", "<p>Page</p>")
            try temp.write("site/style.css", "body{}", modified: old)
            try temp.write("site/style.css.gz", gzipBytes, modified: newer)
            try temp.write("site/app.js", "x()", modified: newer)
            try temp.write("site/app.js.gz", gzipBytes, modified: old)  // stale: ignored
            try temp.write("site/cal.ics", "BEGIN:VCALENDAR")
            try temp.write("site/manifest.webmanifest", "{}")
            try temp.write("site/404.html", "<h1>Non trovato</h1>")
            try temp.write("site/.secret", "hidden")
            try temp.write("site/empty/.keep", "")
            try temp.write("outside/secret.txt", "top secret")
            try FileManager.default.createSymbolicLink(
                atPath: root + "/escape", withDestinationPath: temp.path + "/outside")
            try FileManager.default.createSymbolicLink(
                atPath: root + "/link.txt", withDestinationPath: temp.path + "/outside/secret.txt")
            files = StaticFiles(root: root)
        }

        func get(_ target: String, method: String = "GET", headers: [(String, String)] = []) -> HTTPResponse {
            files.respond(
                to: HTTPRequest(method: method, target: target, headers: HTTPHeaders([("Host", "t")] + headers)))
        }
    }

    func header(_ r: HTTPResponse, _ name: String) -> String? { r.header(name) }

    @Test func indexAndFiles() throws {
        let site = try Site()
        let home = site.get("/")
        #expect(home.status == 200)
        #expect(home.body == Array("<h1>Home</h1>".utf8))
        #expect(home.header("Content-Type") == "text/html; charset=utf-8")
        #expect(home.header("Cache-Control") == "no-cache")
        #expect(site.get("/sub/").body == Array("<h1>Sub</h1>".utf8))
        #expect(site.get("/sub/page.html?x=1").body == Array("<p>Page</p>".utf8))
        #expect(site.get("//sub//page.html").status == 200)

        let css = site.get("/style.css")
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
        #expect(css.header("Cache-Control") == "public, max-age=3600")
        #expect(css.header("ETag") != nil)
        #expect(css.header("Last-Modified") == "Tue, 14 Nov 2023 22:13:20 GMT")
        #expect(site.get("/cal.ics").header("Content-Type") == "text/calendar; charset=utf-8")
        #expect(site.get("/manifest.webmanifest").header("Content-Type") == "application/manifest+json")
    }

    @Test func directoryWithoutSlashRedirects() throws {
        let site = try Site()
        let response = site.get("/sub?a=b")
        #expect(response.status == 301)
        #expect(response.header("Location") == "/sub/?a=b")
        #expect(site.get("/sub/page.html/").status == 404)
        #expect(site.get("/empty/").status == 404)  // no listing
    }

    @Test func missingFilesGetThe404Page() throws {
        let site = try Site()
        let response = site.get("/nope.html")
        #expect(response.status == 404)
        #expect(response.body == Array("<h1>Non trovato</h1>".utf8))
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        let bare = StaticFiles(root: site.temp.path + "/outside")
        #expect(bare.respond(to: HTTPRequest(method: "GET", target: "/x")).status == 404)
        #expect(
            StaticFiles(root: "/nonexistent-root").respond(to: HTTPRequest(method: "GET", target: "/")).status == 404)
    }

    @Test func onlyGetAndHead() throws {
        let site = try Site()
        let response = site.get("/", method: "POST")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
        let head = site.get("/style.css", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == "6")
    }

    @Test(arguments: [
        "/../outside/secret.txt", "/sub/../../outside/secret.txt", "/%2e%2e/outside/secret.txt",
        "/%2E%2E%2Foutside%2Fsecret.txt", "/sub/%2e%2e/%2e%2e/outside/secret.txt", "/./index.html",
        "/.secret", "/escape/secret.txt", "/link.txt", "/%00", "/index.html%00.txt", "/..%5coutside",
    ])
    func traversalNeverEscapesTheRoot(_ target: String) throws {
        let site = try Site()
        let response = site.get(target)
        #expect(response.status == 404 || response.status == 400)
        #expect(!String(decoding: response.body, as: UTF8.self).contains("secret"))
    }

    @Test func traversalOverTheWire() throws {
        let site = try Site()
        try withServer(responder: site.files) { server in
            for target in [
                "/../outside/secret.txt", "/%2e%2e/outside/secret.txt", "/%2e%2e%2foutside%2fsecret.txt",
                "/%00", "/escape/secret.txt", "/%252e%252e/outside/secret.txt",
            ] {
                let client = try TestClient(port: server.port)
                let response = try #require(client.exchange(get(target)))
                #expect(response.status == 404 || response.status == 400, "\(target)")
                #expect(!response.text.contains("top secret"), "\(target)")
            }
        }
    }

    @Test func conditionalRequestsGet304() throws {
        let site = try Site()
        let first = site.get("/sub/page.html")
        let etag = try #require(first.header("ETag"))
        let modified = try #require(first.header("Last-Modified"))
        let byTag = site.get("/sub/page.html", headers: [("If-None-Match", "\"zzz\", \(etag)")])
        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byTag.header("ETag") == etag)
        #expect(site.get("/sub/page.html", headers: [("If-None-Match", "W/\(etag)")]).status == 304)
        #expect(site.get("/sub/page.html", headers: [("If-None-Match", "\"other\"")]).status == 200)
        #expect(site.get("/sub/page.html", headers: [("If-Modified-Since", modified)]).status == 304)
        #expect(
            site.get("/sub/page.html", headers: [("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")]).status == 200)
        #expect(site.get("/sub/page.html", headers: [("If-Modified-Since", "garbage")]).status == 200)
        // If-None-Match takes precedence over If-Modified-Since.
        #expect(
            site.get("/sub/page.html", headers: [("If-None-Match", "\"other\""), ("If-Modified-Since", modified)])
                .status == 200)
    }

    @Test func gzipVariantWhenAcceptedAndFresh() throws {
        let site = try Site()
        let gz = site.get("/style.css", headers: [("Accept-Encoding", "br, gzip;q=0.8")])
        #expect(gz.status == 200)
        #expect(gz.body == site.gzipBytes)
        #expect(gz.header("Content-Encoding") == "gzip")
        #expect(gz.header("Vary") == "Accept-Encoding")
        #expect(gz.header("Content-Type") == "text/css; charset=utf-8")

        let plain = site.get("/style.css")
        #expect(plain.body == Array("body{}".utf8))
        #expect(plain.header("Content-Encoding") == nil)
        #expect(plain.header("Vary") == "Accept-Encoding")
        #expect(plain.header("ETag") != gz.header("ETag"))

        #expect(site.get("/style.css", headers: [("Accept-Encoding", "gzip;q=0")]).header("Content-Encoding") == nil)
        #expect(site.get("/style.css", headers: [("Accept-Encoding", "*")]).header("Content-Encoding") == "gzip")
        // A .gz older than its source is stale and ignored.
        let js = site.get("/app.js", headers: [("Accept-Encoding", "gzip")])
        #expect(js.body == Array("x()".utf8))
        #expect(js.header("Content-Encoding") == nil)
        // 304 on the gzip variant's own validator.
        let tag = try #require(gz.header("ETag"))
        #expect(site.get("/style.css", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", tag)]).status == 304)
    }

    @Test func headOverTheWireHasLengthButNoBody() throws {
        let site = try Site()
        try withServer(responder: site.files) { server in
            let client = try TestClient(port: server.port)
            client.send("HEAD /sub/page.html HTTP/1.1\r\nHost: t\r\n\r\n" + get("/style.css"))
            let head = try #require(client.readResponse(head: true))
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "11")
            let next = try #require(client.readResponse())
            #expect(next.text == "body{}")
            let notModified = try #require(
                client.exchange(get("/style.css", "If-None-Match: \(next.header("ETag") ?? "")\r\n")))
            #expect(notModified.status == 304)
            #expect(client.exchange(get("/"))?.text == "<h1>Home</h1>")
        }
    }

    /// Small files answer from memory, but never a stale or escaped file: a page replaced by rename (as the
    /// publisher does), rewritten in place, or whose folder became a symlink out of the root is read again.
    @Test func cachedFilesAreCheckedAgainstTheDisk() throws {
        let site = try Site()
        #expect(site.get("/sub/page.html").body == Array("<p>Page</p>".utf8))
        #expect(site.files.cachedFiles == 1)
        let hit = site.get("/sub/page.html")
        #expect(hit.status == 200 && hit.body == Array("<p>Page</p>".utf8))
        let etag = try #require(hit.header("ETag"))
        #expect(site.get("/sub/page.html", headers: [("If-None-Match", etag)]).status == 304)
        let head = site.get("/sub/page.html", method: "HEAD")
        #expect(head.body.isEmpty && head.header("Content-Length") == "11")

        // Replaced by rename, same size.
        try site.temp.write("site/sub/new.tmp", "<p>Next</p>")
        #expect(rename(site.root + "/sub/new.tmp", site.root + "/sub/page.html") == 0)
        #expect(site.get("/sub/page.html").body == Array("<p>Next</p>".utf8))
        // Rewritten in place.
        try site.temp.write("site/sub/page.html", "<p>Third version</p>")
        #expect(site.get("/sub/page.html").body == Array("<p>Third version</p>".utf8))
        // The folder turns into a symlink to outside the root: refused, not answered from memory.
        try site.temp.write("outside/page.html", "<p>outside</p>")
        try FileManager.default.moveItem(atPath: site.root + "/sub", toPath: site.temp.path + "/moved")
        try FileManager.default.createSymbolicLink(
            atPath: site.root + "/sub", withDestinationPath: site.temp.path + "/outside")
        let escaped = site.get("/sub/page.html")
        #expect(escaped.status == 404 && escaped.body != Array("<p>outside</p>".utf8))
        // A full rebuild empties the cache.
        #expect(site.files.cachedFiles == 0, "the stale entry was dropped")
        #expect(site.get("/").status == 200)
        #expect(site.files.cachedFiles == 1)
        site.files.invalidateCache()
        #expect(site.files.cachedFiles == 0)
    }
}
