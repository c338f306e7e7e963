import Foundation
import Testing

@testable import SportelloCore

@Suite struct JSONSyntaxTests {
    func syntaxError(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try JSONValue.parse(Data(text.utf8))
            return nil
        } catch let error as JSONSyntaxError {
            return error
        } catch {
            return JSONSyntaxError(line: 0, column: 0, message: "\(error)")
        }
    }

    @Test func errorsNameTheLineAndColumn() throws {
        let missingComma = "{\n  \"a\": 1\n  \"b\": 2\n}"
        let error = try #require(syntaxError(missingComma))
        #expect(error.line == 3 && error.column == 3)
        #expect(error.description.hasPrefix("line 3, column 3:"))
        // Columns count characters: "città" is 5 characters, 6 bytes.
        let accented = try #require(syntaxError("{\"città\": tru}"))
        #expect(accented.line == 1 && accented.column == 11)
        let unclosed = try #require(syntaxError("{\n\"name\": \"Comune di Prova\n}"))
        #expect(unclosed.line == 2 && unclosed.column == 9)
        // Through the configuration loader, the place is in the message a person reads.
        do {
            _ = try SiteConfiguration.parse(Data(missingComma.utf8))
            Issue.record("a broken file was accepted")
        } catch {
            #expect(error.description.contains("line 3, column 3"))
        }
    }

    @Test func trailingCommasAndDuplicateKeysAreRejected() throws {
        #expect(syntaxError("{\"a\": [1, 2,]}")?.message.contains("comma before ]") == true)
        #expect(syntaxError("{\"a\": 1,}")?.message.contains("comma before }") == true)
        #expect(syntaxError("{\"a\": 1, \"a\": 2}")?.message.contains("twice") == true)
        #expect(syntaxError("{'a': 1}") != nil)
        #expect(syntaxError("{\"a\": 01}") != nil)
        #expect(syntaxError("") != nil)
        #expect(
            syntaxError(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))?.message.contains(
                "nested") == true)
    }

    @Test func commentsAreAcceptedAndValuesAreExact() throws {
        let text = """
            // a comune's configuration
            { "a": 1.5, /* inline */ "b": ["x\\u00e8\\ud83d\\ude00", true, null], // to the end of the line
              "c": {"d": -2e3} }
            """
        let value = try JSONValue.parse(Data(text.utf8))
        #expect(
            value
                == .object([
                    "a": .number(1.5), "b": .array([.string("xè😀"), .bool(true), .null]),
                    "c": .object(["d": .number(-2000)]),
                ]))
        #expect(syntaxError("{\"a\": 1 /* never closed }") != nil)
    }

    @Test func theREADMEExampleWithItsCommentsParses() throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "## Configuration (`sportello.json`)\n\n```jsonc\n"))
        let end = try #require(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
        let example = String(readme[start.upperBound..<end.lowerBound])
        #expect(example.contains("//"))
        let configuration = try SiteConfiguration.parse(Data(example.utf8))
        #expect(configuration.comune.baseURL == "https://prenota.comune.example.it")
    }

    @Test func theDemoParsesAsBeforeWithTheNewReader() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../sportello.json")
        let data = try Data(contentsOf: url)
        #expect(try JSONValue.parse(data) == (try JSONDecoder().decode(JSONValue.self, from: data)))
    }
}

@Suite struct AddressAndOriginTests {
    func configuration(
        baseURL: String = "https://prenota.prova.example.it", proxies: String = "[\"127.0.0.1\"]"
    ) throws -> SiteConfiguration {
        let json = """
            {"comune": {"name": "Comune di Prova", "baseURL": "\(baseURL)"}, "booking": {"trustedProxies": \(proxies)},
             "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}}]}
            """
        return try SiteConfiguration.parse(Data(json.utf8))
    }

    /// Dropping "en" from comune.languages used to fail with "unknown setting; expected one of: " (an empty list).
    @Test func aTranslationForALanguageNotListedSaysWhatToChange() throws {
        let json = """
            {"comune": {"name": "Comune di Prova", "baseURL": "https://prova.example.it", "languages": ["it"]},
             "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]},
                           "translations": {"en": {"name": "A"}}}]}
            """
        do {
            _ = try SiteConfiguration.parse(Data(json.utf8))
            Issue.record("a translation for an unlisted language was accepted")
        } catch {
            #expect(error.path == "services[0].translations.en")
            #expect(
                error.message.contains("not one of comune.languages (it)") && error.message.contains("add it there"))
        }
    }

    @Test func trustedProxiesTakeAddressesAndNetworksAndRefuseNames() throws {
        let settings = try configuration(proxies: #"["10.1.0.0/16", "2001:db8:5::/48", "192.0.2.9"]"#).booking
        #expect(settings.isTrustedProxy("10.1.200.3"))
        #expect(!settings.isTrustedProxy("10.2.0.1"))
        #expect(settings.isTrustedProxy("2001:db8:5:1::7"))
        #expect(!settings.isTrustedProxy("2001:db8:6::1"))
        #expect(settings.isTrustedProxy("192.0.2.9") && !settings.isTrustedProxy("192.0.2.10"))
        #expect(settings.isTrustedProxy("::ffff:10.1.0.1"))
        #expect(!settings.isTrustedProxy("not an address"))
        for bad in ["proxy.example.it", "localhost", "10.0.0.0/33", "10.0.0.0/", "::1/129"] {
            do {
                _ = try configuration(proxies: "[\"\(bad)\"]")
                Issue.record("\(bad) was accepted")
            } catch let error as ConfigurationError {
                #expect(error.path == "booking.trustedProxies[0]")
            }
        }
        #expect(AddressRange(parsing: "0.0.0.0/0")?.contains("203.0.113.5") == true)
    }

    @Test func baseURLIsNormalisedAndTheOriginComparedInNormalForm() throws {
        let comune = try configuration(baseURL: "HTTPS://Prenota.Example.IT:443/").comune
        #expect(comune.baseURL == "https://prenota.example.it")
        #expect(comune.origin == "https://prenota.example.it")
        #expect(try configuration(baseURL: "http://127.0.0.1:80/prenota/").comune.baseURL == "http://127.0.0.1/prenota")
        #expect(try configuration(baseURL: "https://x.example.it:8443").comune.origin == "https://x.example.it:8443")
        #expect(ComuneSettings.normalizedOrigin("https://PRENOTA.example.it:443") == "https://prenota.example.it")
        #expect(throws: ConfigurationError.self) { try configuration(baseURL: "https://user@x.example.it") }
        #expect(throws: ConfigurationError.self) { try configuration(baseURL: "https://x.example.it/?a=1") }
    }
}

@Suite struct LogTests {
    @Test func linesAreLogfmtOrJSONWithAUTCTime() throws {
        let logfmt = Log.render(
            format: .logfmt, time: 1_796_137_536, level: "info", event: "request",
            fields: ["path": "/api/holds", "status": 403, "note": "two words \"quoted\""])
        #expect(
            logfmt
                == #"ts=2026-12-01T15:05:36Z level=info event=request path=/api/holds status=403 note="two words \"quoted\"""#
        )
        let json = Log.render(
            format: .json, time: 0, level: "warn", event: "refused", fields: ["reason": "bad_origin", "status": 403])
        #expect(
            json
                == #"{"ts":"1970-01-01T00:00:00Z","level":"warn","event":"refused","reason":"bad_origin","status":403}"#
        )
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["status"] as? Int == 403)
        // A duration is a number in both formats (JSON had it as a string, "ms":"1.84").
        let timed = Log.render(
            format: .json, time: 0, level: "info", event: "request",
            fields: ["ms": .milliseconds(nanoseconds: 1_840_000)])
        #expect(timed.contains(#""ms":1.84}"#))
        #expect((try JSONSerialization.jsonObject(with: Data(timed.utf8)) as? [String: Any])?["ms"] as? Double == 1.84)
        #expect(
            Log.render(
                format: .logfmt, time: 0, level: "info", event: "request",
                fields: ["ms": .milliseconds(nanoseconds: 50_000)]
            ).hasSuffix(" ms=0.05"))
        // A newline in a value cannot start a forged line.
        #expect(
            !Log.render(format: .logfmt, time: 0, level: "info", event: "x", fields: ["a": "1\nts=forged"]).contains(
                "\n"))
    }

    @Test func clientAddressesAreCutToTheirNetwork() {
        #expect(Log.anonymizedAddress("192.0.2.123") == "192.0.2.0/24")
        #expect(Log.anonymizedAddress("2001:db8:1234:5678::9") == "2001:db8:1234::/48")
        #expect(Log.anonymizedAddress("::ffff:198.51.100.7") == "198.51.100.0/24")
        #expect(Log.anonymizedAddress("host.example.it") == "-")
    }
}

@Suite struct LogMillisecondsTests {
    @Test func durationsAreWrittenWithTwoDecimalsWithoutFormatStrings() {
        #expect(Log.milliseconds(1_844_999) == "1.84")
        #expect(Log.milliseconds(1_845_000) == "1.85")
        #expect(Log.milliseconds(50_000_000) == "50.00")
        #expect(Log.milliseconds(4_999) == "0.00")
        #expect(Log.milliseconds(70_000) == "0.07")
    }
}
