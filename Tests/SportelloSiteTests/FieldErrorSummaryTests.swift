import Foundation
import Testing

@testable import SportelloSite

/// The one error summary: each wrong field named by its label and linked to its control, in page order, through
/// the one partial every form includes.
@Suite struct FieldErrorSummaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func linesNameEachFieldInPageOrderAndThePartialLinksThem() throws {
        let t = try Translations.load(
            directory: Self.root.appendingPathComponent("site-templates/i18n").path, language: "it")
        let summary = FieldErrorSummary(fields: [
            .init(name: "nome", id: "field-nome", label: "Nome"),
            .init(name: "codice_fiscale", id: "reg-cf", label: "Codice fiscale"),
        ])
        #expect(summary.value(errors: [:], t) == "")
        let value = summary.value(errors: ["codice_fiscale": "cf.check", "nome": "required", "zz": "required"], t)
        let partial = try String(
            contentsOf: Self.root.appendingPathComponent("site-templates/partials/error-summary.html"), encoding: .utf8)
        let library = try TemplateLibrary(
            templates: ["main": "{{> partials/error-summary}}", "partials/error-summary": partial], strict: true)
        let html = try library.render("main", ["errorSummary": value, "t": t.templateValue])
        let lines = html.components(separatedBy: "\n").filter { $0.hasPrefix("<li>") }
        #expect(
            lines == [
                "<li><a href=\"#field-nome\">Nome: Questo campo è obbligatorio.</a></li>",
                "<li><a href=\"#reg-cf\">Codice fiscale: \(HTMLEscaper.escape(t.text("fieldErrors.cf.check")))</a></li>",
                // A field the form does not list is still named, never dropped.
                "<li><a href=\"#field-zz\">zz: Questo campo è obbligatorio.</a></li>",
            ])
        #expect(html.hasPrefix("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\""))
        #expect(try library.render("main", ["errorSummary": "", "t": t.templateValue]).isEmpty)
    }

    @Test func countsPickTheSingularInBothLanguages() throws {
        for (language, one, five) in [
            ("it", "Ogni appuntamento dura 1 minuto.", "Ogni appuntamento dura 5 minuti."),
            ("en", "Each appointment lasts 1 minute.", "Each appointment lasts 5 minutes."),
        ] {
            let t = try Translations.load(
                directory: Self.root.appendingPathComponent("site-templates/i18n").path, language: language)
            #expect(t.format("service.duration", count: 1, ["minutes": "1"]) == one)
            #expect(t.format("service.duration", count: 5, ["minutes": "5"]) == five)
            // A text with no singular form is used as it is.
            #expect(t.format("fieldSummary.line", count: 1, ["label": "A", "message": "b"]) == "A: b")
        }
    }
}
