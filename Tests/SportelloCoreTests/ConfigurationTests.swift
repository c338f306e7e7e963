import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

@Suite struct ConfigurationTests {
    func error(_ services: String, closures: String = "[]") -> ConfigurationError? {
        do {
            _ = try makeConfiguration(services, closures: closures)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return ConfigurationError(path: "?", message: "\(error)")
        }
    }

    @Test func theDemoComuneLoadsWithItsTreeAndInheritance() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../sportello.json")
        let configuration = try SiteConfiguration.load(path: url.path)
        let catalogue = Catalogue(configuration: configuration)
        #expect(catalogue.roots.count >= 3)
        #expect(catalogue.services.count >= 8)
        #expect(catalogue.roots.filter { !$0.children.isEmpty }.count >= 2)
        #expect(catalogue.services.contains { $0.capacity == 2 })
        #expect(catalogue.services.contains { !$0.pauses.isEmpty })
        let cie = try #require(catalogue.service(id: "carta-identita"))
        #expect(cie.address?.contains("Piazza del Municipio") == true)  // inherited from the office
        #expect(cie.schedule[.tuesday]?.count == 2)
        #expect(cie.ancestorIDs == ["anagrafe"])
        #expect(cie.text(for: "en").name.contains("identity"))
        #expect(configuration.comune.languages == ["it", "en"])
        #expect(configuration.comune.origin == "http://127.0.0.1:8080")
    }

    @Test func aBadTimeRangeNamesItsExactPath() {
        let problem = error(
            #"""
            [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}},
             {"id": "b", "name": "B", "slotMinutes": 30, "schedule": {"mon": ["09:00-12:00"]}},
             {"id": "c", "name": "C", "slotMinutes": 30, "schedule": {"mon": ["8:30-25:00"]}}]
            """#)
        #expect(
            problem?.description
                == #"services[2].schedule.mon[0]: "8:30-25:00" is not a time range (HH:MM-HH:MM, start before end)"#)
    }

    @Test(arguments: [
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"mon": ["9:00-12:00", "11:00-13:00"]}}]"#,
            "services[0].schedule.mon[1]"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {"lun": ["9:00-12:00"]}}]"#,
            "services[0].schedule.lun"
        ),
        (#"[{"id": "a", "name": "A", "slotMinuts": 30, "schedule": {}}]"#, "services[0].slotMinuts"),
        (#"[{"id": "a", "name": "A", "slotMinutes": 2.5, "schedule": {}}]"#, "services[0].slotMinutes"),
        (#"[{"id": "a", "name": "A", "slotMinutes": 30, "capacity": 0, "schedule": {}}]"#, "services[0].capacity"),
        (#"[{"id": "a", "name": "A", "slotMinutes": "30", "schedule": {}}]"#, "services[0].slotMinutes"),
        (#"[{"id": "A b", "name": "A", "slotMinutes": 30, "schedule": {}}]"#, "services[0].id"),
        (#"[{"id": "a", "name": "", "slotMinutes": 30, "schedule": {}}]"#, "services[0].name"),
        (#"[{"id": "a", "name": "A", "schedule": {}}]"#, "services[0]"),
        (#"[{"id": "a", "name": "A", "slotMinutes": 30}]"#, "services[0]"),
        (
            #"[{"id": "o", "name": "O", "children": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}, {"id": "a", "name": "B", "slotMinutes": 30, "schedule": {}}]}]"#,
            "services[0].children[1].id"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "coordinates": {"lat": 91, "lon": 10}}]"#,
            "services[0].coordinates.lat"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "window": {"maxDaysAhead": -1}}]"#,
            "services[0].window.maxDaysAhead"
        ),
        (#"[]"#, "services"),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "seasons": [{"from": "7-1", "to": "08-31", "schedule": {}}]}]"#,
            "services[0].seasons[0].from"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "seasons": [{"from": "07-01", "to": "02-30", "schedule": {}}]}]"#,
            "services[0].seasons[0].to"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "seasons": [{"from": "07-01", "to": "08-31", "schedule": {"mon": ["9-10"]}}]}]"#,
            "services[0].seasons[0].schedule.mon[0]"
        ),
        (
            #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}, "seasons": [{"from": "07-01", "to": "08-31", "schedule": {}}, {"from": "08-15", "to": "09-15", "schedule": {}}]}]"#,
            "services[0].seasons[1]"
        ),
    ])
    func everyMistakeNamesItsPath(services: String, path: String) {
        #expect(error(services)?.path == path)
    }

    @Test func closuresAreChecked() {
        let ok = #"[{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}]"#
        #expect(error(ok, closures: #"[{"date": "2026-02-30", "reason": "x"}]"#)?.path == "closures[0].date")
        #expect(
            error(ok, closures: #"[{"from": "2026-03-02", "to": "2026-03-01", "reason": "x"}]"#)?.path
                == "closures[0].to")
        #expect(
            error(ok, closures: #"[{"date": "2026-03-02", "reason": "x", "services": ["zzz"]}]"#)?.path
                == "closures[0].services[0]")
        #expect(error(ok, closures: #"[{"date": "2026-03-02"}]"#)?.path == "closures[0].reason")
        #expect(error(ok, closures: #"[{"date": "2026-03-02", "reason": "x"}]"#) == nil)
    }

    @Test func identityAndVerificationSettings() throws {
        func parse(_ extra: String) throws -> SiteConfiguration {
            try SiteConfiguration.parse(
                Data(
                    #"""
                    {"comune": {"name": "C", "baseURL": "https://prenota.example.it"}, \#(extra)
                     "services": [{"id": "o", "name": "O", "verifyContact": true, "children": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}},
                                  {"id": "b", "name": "B", "slotMinutes": 30, "schedule": {}, "verifyContact": false}]}]}
                    """#.utf8))
        }
        let configuration = try parse(
            #""booking": {"verifyContact": false}, "identity": {"proxySecret": "0123456789abcdef0123", "localAccounts": false, "spidLoginURL": "/auth/spid", "cieLoginURL": "https://gw.example.it/cie?r={return}"},"#
        )
        #expect(configuration.booking.verifyContact == false && configuration.identity?.localAccounts == false)
        #expect(
            configuration.identity?.spidLoginURL == "/auth/spid"
                && configuration.identity?.cieLoginURL == "https://gw.example.it/cie?r={return}")
        let catalogue = Catalogue(configuration: configuration)
        #expect(catalogue.service(id: "a")?.verifyContact == true && catalogue.service(id: "b")?.verifyContact == false)
        // Defaults: local accounts on, no buttons, no verification.
        let plain = try parse(#""identity": {"proxySecret": "0123456789abcdef0123"},"#)
        #expect(
            plain.identity?.localAccounts == true && plain.identity?.spidLoginURL == nil
                && plain.booking.verifyContact == false)
        // A gateway address must be a path or https: never a script or another scheme.
        for bad in ["javascript:alert(1)", "//evil.example/x", "http://gw.example.it/spid"] {
            #expect(throws: ConfigurationError.self) {
                try parse(#""identity": {"spidLoginURL": "\#(bad)", "proxySecret": "0123456789abcdef0123"},"#)
            }
        }
        #expect(throws: ConfigurationError.self) {
            try parse(#""identity": {"localAccounts": "no", "proxySecret": "0123456789abcdef0123"},"#)
        }
    }

    @Test func brokenJSONAndWrongRootAreClearErrors() {
        #expect(throws: ConfigurationError.self) { try SiteConfiguration.parse(Data("{\"comune\": ".utf8)) }
        #expect(throws: ConfigurationError.self) { try SiteConfiguration.parse(Data("[]".utf8)) }
        #expect(throws: ConfigurationError.self) { try SiteConfiguration.parse(Data([0xFF, 0xFE, 0x00])) }
        #expect(throws: ConfigurationError.self) { try SiteConfiguration.load(path: "/nonexistent/sportello.json") }
        let noBase =
            #"{"comune": {"name": "X", "baseURL": "ftp://x"}, "services": [{"id": "a", "name": "A", "slotMinutes": 30, "schedule": {}}]}"#
        #expect((try? SiteConfiguration.parse(Data(noBase.utf8))) == nil)
    }

    @Test func randomMutationsOfTheDemoNeverCrashTheLoader() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../sportello.json")
        let original = Array(try Data(contentsOf: url))
        var generator = SplitMix64(state: 42)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? SiteConfiguration.parse(Data(bytes))
        }
    }
}
