import Foundation
import SportelloTesting
import Testing

@testable import SportelloCore

/// A service's extra form fields: the declaration read strictly and bounded, the answers checked as hostile input.
@Suite struct ExtraFieldTests {
    func office(fields: String, child: String = "") -> String {
        """
        [{"id": "polizia", "name": "Polizia locale", "slotMinutes": 15, "schedule": {"mon": ["09:00-12:00"]},
          "extraFields": \(fields),
          "children": [{"id": "verbali", "name": "Verbali"\(child)}, {"id": "permessi", "name": "Permessi",
            "extraFields": []}]}]
        """
    }

    let targa =
        #"{"id": "targa", "label": {"it": "Targa del veicolo"}, "type": "text", "required": true, "maxLength": 8}"#

    func error(_ fields: String) -> String {
        do {
            _ = try makeConfiguration(office(fields: fields))
            return "accepted"
        } catch let error as ConfigurationError {
            return "\(error.path): \(error.message)"
        } catch {
            return "\(error)"
        }
    }

    @Test func aServiceInheritsItsOfficesFieldsUnlessItSetsItsOwn() throws {
        let fields = """
            [\(targa),
             {"id": "persone", "label": {"it": "Persone"}, "type": "number", "min": 1, "max": 5},
             {"id": "nascita", "label": {"it": "Data di nascita"}, "type": "date"},
             {"id": "veicolo", "label": {"it": "Veicolo"}, "type": "choice", "choices": ["Auto", "Moto"]}]
            """
        let catalogue = Catalogue(configuration: try makeConfiguration(office(fields: fields)))
        let verbali = try #require(catalogue.service(id: "verbali"))
        #expect(verbali.extraFields.map(\.id) == ["targa", "persone", "nascita", "veicolo"])
        #expect(verbali.extraFields[0].maxLength == 8 && verbali.extraFields[0].required)
        #expect(verbali.extraFields[1].minimum == 1 && verbali.extraFields[1].maximum == 5)
        #expect(verbali.extraFields[3].choices == ["Auto", "Moto"])
        #expect(verbali.extraFields[0].label(for: "en", fallback: "it") == "Targa del veicolo")
        #expect(try #require(catalogue.service(id: "permessi")).extraFields.isEmpty)
    }

    @Test func everyMistakeInTheDeclarationIsNamed() {
        let eleven = (0..<11).map { #"{"id": "f\#($0)", "label": {"it": "F"}, "type": "text"}"# }
        let cases: [(String, String)] = [
            ("[\(eleven.joined(separator: ","))]", "11 fields are more than the 10 allowed"),
            (#"[{"id": "Targa", "label": {"it": "T"}, "type": "text"}]"#, "is not a field id"),
            (
                #"[{"id": "\#(String(repeating: "a", count: 33))", "label": {"it": "T"}, "type": "text"}]"#,
                "is not a field id"
            ),
            ("[\(targa), \(targa)]", "\"targa\" is declared twice"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "file"}]"#, "\"file\" is not a field type"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "text", "maxLength": 501}]"#, "maxLength"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "text", "choices": ["a"]}]"#, "only a field of type choice"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "choice"}]"#, "expected a list"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "choice", "choices": ["a", "a"]}]"#, "listed twice"),
            (#"[{"id": "t", "label": {"en": "T"}, "type": "text"}]"#, "label"),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "number", "min": 5, "max": 1}]"#, "less than \"min\""),
            (#"[{"id": "t", "label": {"it": "T"}, "type": "text", "pattern": "x"}]"#, "unknown setting"),
        ]
        for (fields, expected) in cases {
            let message = error(fields)
            #expect(message.contains(expected), "\(fields): \(message)")
        }
    }

    @Test func answersAreCheckedAsHostileInput() throws {
        let plate = ExtraField(id: "targa", labels: ["it": "Targa"], kind: .text, required: true, maxLength: 8)
        #expect(try plate.validate("  AB 123CD ") == "AB 123CD")
        #expect(throws: FieldError(field: "extra-targa", code: "required")) { try plate.validate("   ") }
        #expect(throws: FieldError(field: "extra-targa", code: "too_long")) { try plate.validate("ABCDEFGHI") }
        #expect(throws: FieldError(field: "extra-targa", code: "extra.text")) { try plate.validate("AB\u{0}1") }
        #expect(throws: FieldError(field: "extra-targa", code: "too_long")) {
            try plate.validate(String(repeating: "x", count: 100_000))
        }

        let people = ExtraField(id: "persone", labels: ["it": "Persone"], kind: .number, minimum: 1, maximum: 5)
        #expect(try people.validate("") == "")
        #expect(try people.validate("+3") == "3")
        for wrong in ["0", "6", "2.5", "1e3", "-", "99999999999999999999", "٣", "3 "] where wrong != "3 " {
            #expect(throws: FieldError(field: "extra-persone", code: "extra.number")) { try people.validate(wrong) }
        }

        let birth = ExtraField(id: "nascita", labels: ["it": "Nascita"], kind: .date)
        #expect(try birth.validate("1985-12-10") == "1985-12-10")
        for wrong in ["2026-02-30", "10/12/1985", "1800-01-01", "1985-12-10T00:00", "+1985-12-10"] {
            #expect(throws: FieldError(field: "extra-nascita", code: "extra.date")) { try birth.validate(wrong) }
        }

        let vehicle = ExtraField(id: "veicolo", labels: ["it": "Veicolo"], kind: .choice, choices: ["Auto", "Moto"])
        #expect(try vehicle.validate("Moto") == "Moto")
        #expect(throws: FieldError(field: "extra-veicolo", code: "extra.choice")) { try vehicle.validate("moto") }
        #expect(throws: FieldError(field: "extra-veicolo", code: "extra.choice")) { try vehicle.validate("<b>") }
    }
}
