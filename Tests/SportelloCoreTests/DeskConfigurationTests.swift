import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

@Suite struct DeskConfigurationTests {
    func error(_ services: String) -> ConfigurationError? {
        do {
            _ = try makeConfiguration(services)
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            return ConfigurationError(path: "?", message: "\(error)")
        }
    }

    func office(desks: String = #"["Sportello 1", "Sportello 2"]"#, child: String) -> String {
        """
        [{"id": "anagrafe", "name": "Anagrafe", "desks": \(desks), "slotMinutes": 10,
          "schedule": {"mon": ["09:00-12:00"]}, "children": [{"id": "carta", "name": "Carta", \(child)}]}]
        """
    }

    @Test func servicesResolveTheirDesksLengthAndStep() throws {
        let catalogue = try anagrafe()
        let residenza = try #require(catalogue.service(id: "residenza"))
        #expect(residenza.desks == [desk1, desk2])
        #expect(residenza.appointmentMinutes == 40)
        #expect(residenza.stepMinutes == 10)  // slotMinutes of the office
        let certificati = try #require(catalogue.service(id: "certificati"))
        #expect(certificati.desks == [desk2])
        #expect((certificati.appointmentMinutes, certificati.stepMinutes) == (30, 15))
        #expect(desk1.key == "anagrafe/Sportello 1")
    }

    @Test func aServiceWithoutDesksIsAsBefore() throws {
        let tributi = try #require(try anagrafe().service(id: "tributi"))
        #expect(tributi.desks.isEmpty)
        #expect((tributi.slotMinutes, tributi.capacity) == (20, 2))
        #expect((tributi.appointmentMinutes, tributi.stepMinutes) == (20, 20))
        #expect(tributi.slots(on: date("2026-11-23")).count == 9)
        #expect(DeskAllocation.freeStarts(of: tributi, on: date("2026-11-23"), occupied: [:]).isEmpty)
        #expect(tributi.appointment(startingAt: instant("2026-11-23", "09:00")) == nil)
    }

    @Test func deskErrorsNameTheirPathAndSayWhatToDo() throws {
        let unknown = try #require(error(office(child: #""desks": ["Sportello 1", "Sportello 9"]"#)))
        #expect(unknown.path == "services[0].children[0].desks[1]")
        #expect(unknown.message.contains("\"Sportello 9\" is not a desk"))
        #expect(unknown.message.contains("\"Sportello 1\", \"Sportello 2\""))

        let twice = try #require(
            error(
                office(
                    desks: #"["Sportello 1", "Sportello 1"]"#,
                    child: #""desks": ["Sportello 1"]"#)))
        #expect(twice.path == "services[0].desks[1]" && twice.message.contains("listed twice"))

        let empty = try #require(error(office(desks: "[]", child: #""slotMinutes": 10"#)))
        #expect(empty.path == "services[0].desks" && empty.message.contains("at least one desk"))

        let blank = try #require(error(office(desks: #"["  "]"#, child: #""slotMinutes": 10"#)))
        #expect(blank.path == "services[0].desks[0]")

        let many = (1...51).map { "\"S\($0)\"" }.joined(separator: ", ")
        let tooMany = try #require(error(office(desks: "[\(many)]", child: #""slotMinutes": 10"#)))
        #expect(tooMany.path == "services[0].desks" && tooMany.message.contains("50"))

        let oddStep = try #require(error(office(child: #""desks": ["Sportello 1"], "stepMinutes": 7"#)))
        #expect(oddStep.path == "services[0].children[0].stepMinutes" && oddStep.message.contains("divide an hour"))

        let long = try #require(error(office(child: #""desks": ["Sportello 1"], "appointmentMinutes": 481"#)))
        #expect(long.path == "services[0].children[0].appointmentMinutes")

        let lengthWithoutDesks = try #require(error(office(child: #""appointmentMinutes": 20"#)))
        #expect(lengthWithoutDesks.path == "services[0].children[0].appointmentMinutes")
        #expect(lengthWithoutDesks.message.contains("add \"desks\""))
        let stepWithoutDesks = try #require(error(office(child: #""stepMinutes": 15"#)))
        #expect(stepWithoutDesks.path == "services[0].children[0].stepMinutes")
        // On an office they are defaults for its desk services, not an error for the others.
        #expect(error(office(desks: #"["Sportello 1"], "stepMinutes": 15"#, child: #""slotMinutes": 10"#)) == nil)

        let noOffice = try #require(
            error(
                """
                [{"id": "solo", "name": "Solo", "desks": ["A"], "slotMinutes": 10,
                  "schedule": {"mon": ["09:00-10:00"]}}]
                """))
        #expect(noOffice.path == "services[0].desks[0]" && noOffice.message.contains("declare the desks on the office"))

        let shadowed = try #require(
            error(
                """
                [{"id": "comune", "name": "Comune", "desks": ["Sportello 1"], "slotMinutes": 10,
                  "schedule": {"mon": ["09:00-10:00"]},
                  "children": [{"id": "anagrafe", "name": "Anagrafe", "desks": ["Sportello 1"],
                                "children": [{"id": "carta", "name": "Carta", "desks": ["Sportello 1"]}]}]}]
                """))
        #expect(shadowed.path == "services[0].children[0].desks[0]" && shadowed.message.contains("\"comune\""))
    }

    @Test func theREADMEExampleParses() throws {
        let catalogue = try readmeDeskExample()
        let residenza = try #require(catalogue.service(id: "residenza"))
        #expect(residenza.desks.map(\.name) == ["Sportello 1", "Sportello 2"])
        #expect((residenza.appointmentMinutes, residenza.stepMinutes) == (30, 15))
        #expect(try #require(catalogue.service(id: "certificati")).desks == [desk2])
    }

    @Test func aServiceMayUseDesksOfAnyOfficeAboveIt() throws {
        let configuration = try makeConfiguration(
            """
            [{"id": "comune", "name": "Comune", "desks": ["Ingresso"], "slotMinutes": 10,
              "schedule": {"mon": ["09:00-10:00"]},
              "children": [{"id": "anagrafe", "name": "Anagrafe", "desks": ["Sportello 1"],
                            "children": [{"id": "carta", "name": "Carta", "desks": ["Sportello 1", "Ingresso"]}]}]}]
            """)
        let carta = try #require(Catalogue(configuration: configuration).service(id: "carta"))
        #expect(
            carta.desks == [
                DeskID(office: "anagrafe", name: "Sportello 1"),
                DeskID(office: "comune", name: "Ingresso"),
            ])
    }
}
