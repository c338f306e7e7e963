import Testing

@testable import SportelloHTTP

/// Issue 18 point 5, as `sportello serve` sends the availability files: JSON, revalidated like the pages (a
/// booking changes them at any moment), readable from any origin; other files get no CORS header.
@Suite struct StaticFilesDataTests {
    @Test func availabilityFilesAreRevalidatedAndReadableFromAnyOrigin() throws {
        let site = try StaticFilesTests.Site()
        try site.temp.write("site/servizi/anagrafe/next.json", #"{"version":1}"#)
        let data = site.get("/servizi/anagrafe/next.json", headers: [("Origin", "https://app.example")])
        #expect(data.status == 200)
        #expect(data.header("Content-Type") == "application/json")
        #expect(data.header("Cache-Control") == "no-cache")
        #expect(data.header("Access-Control-Allow-Origin") == "*")
        #expect(data.header("Set-Cookie") == nil)
        let css = site.get("/style.css")
        #expect(css.header("Cache-Control") == "public, max-age=3600")
        #expect(css.header("Access-Control-Allow-Origin") == nil)
        #expect(site.get("/").header("Access-Control-Allow-Origin") == nil)
    }
}
