import Foundation
import SportelloCore
import SportelloSite
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// Issue 16: mail templates are rendered once per kind, service and language and filled in per message; what a
/// message gets must be byte for byte what rendering its template gives.
@Suite struct MailTemplateCacheTests {
    static let library = try! TemplateLibrary(
        templates: [
            "mail/x": """
            <p>{{t.hello}} {{person.name}} ({{{person.name}}})</p>\
            {{#reason}}<p>{{t.why}}: {{.}} / {{{.}}}</p>{{/reason}}\
            {{^reason}}<p>{{t.noReason}}</p>{{/reason}}{{#byOperator}}<b>{{code}}</b>{{/byOperator}}\
            <ul>{{#service.documents}}<li>{{.}} {{code}}</li>{{/service.documents}}</ul>{{> partials/tail}}
            """,
            "partials/tail": "<i>{{when}}</i>{{comune}}",
        ], strict: true)

    static func values(
        name: String, reason: String, code: String, byOperator: Bool, language: String = "it"
    )
        -> TemplateFields
    {
        [
            "t": .object(["hello": .string(language == "it" ? "Gentile" : "Dear"), "why": "Motivo", "noReason": "—"]),
            "person": .object(["name": .string(name), "codiceFiscale": "RSSMRA85T10A562S"]),
            "reason": .string(reason), "code": .string(code), "byOperator": .bool(byOperator),
            "service": .object(["documents": .list(["Carta <vecchia>", "Foto"])]),
            "when": "26 novembre, 9:10", "comune": "Valfiorita & Monti",
        ]
    }

    @Test func everyMessageGetsWhatRenderingItsTemplateGives() throws {
        let cache = MailTemplateCache(
            ownPaths: ["person.name", "reason", "code", "when"], sharedNames: ["t", "service"])
        let cases: [TemplateFields] = [
            Self.values(name: "Niccolò D'Angelo", reason: "", code: "ABC-123", byOperator: false),
            Self.values(
                name: "Anna <Rossi> & \"co\"", reason: "Sportello chiuso <oggi>", code: "X&Y", byOperator: true),
            Self.values(name: "Mario", reason: "Sciopero", code: "ZZZ", byOperator: true),
            Self.values(name: "", reason: "", code: "Q", byOperator: false),
            Self.values(name: "Ada", reason: "no", code: "W", byOperator: false, language: "en"),
            // A value holding a marker byte is rendered whole.
            Self.values(name: "A\u{1}<0\u{2}B", reason: "r\u{2}", code: "C", byOperator: true),
        ]
        var rendered: [String] = []
        for _ in 0..<2 {
            for values in cases {
                let language = values["t"].flatMap { $0["hello"] } == .string("Dear") ? "en" : "it"
                let prepared = cache.prepare(values, shared: language)
                let direct = try Self.library.render("mail/x", .object(values))
                let filled = try cache.render("mail/x", values, prepared) {
                    try Self.library.render($0, .object($1))
                }
                #expect(filled == direct)
                rendered.append(filled)
            }
        }
        #expect(Set(rendered).count == cases.count)
        // Messages that differ only in their own values share one key; an empty own value or a flag does not.
        let first = cache.prepare(cases[1], shared: "it")
        #expect(first.key == cache.prepare(cases[2], shared: "it").key)
        #expect(first.key != cache.prepare(cases[0], shared: "it").key)
        #expect(first.own == ["Anna <Rossi> & \"co\"", "Sportello chiuso <oggi>", "X&Y", "26 novembre, 9:10"])
        #expect(!cache.prepare(cases[5], shared: "it").usable)
    }

    @Test func anOutputWhoseMarkersAreNotIntactIsNotCut() throws {
        let cut = MailTemplateCache.cut(Array("a\u{1}<0\u{2}b".utf8), values: 1)
        #expect(cut?.pieces == [Array("a".utf8), Array("b".utf8)] && cut?.gaps.first?.escaped == false)
        #expect(MailTemplateCache.cut(Array("a\u{1}&lt;0\u{2}b".utf8), values: 1)?.gaps.first?.escaped == true)
        for broken in ["a\u{1}b", "a\u{1}<0b", "a\u{1}<\u{2}", "\u{2}", "a\u{1}<1\u{2}", "a\u{1}"] {
            #expect(MailTemplateCache.cut(Array(broken.utf8), values: 1) == nil, "\(broken.debugDescription)")
        }
    }

    /// The composer's mails through the cache are the mails rendering each template would give, for
    /// messages of different people, kinds and languages.
    @Test func composedMailsAreWhatTheTemplatesRender() throws {
        let renderer = try demoRenderer()
        let composer = Composer(renderer: renderer)
        let service = try #require(renderer.catalogue.services.first)
        let start = try #require(
            service.slots(on: CivilDate(year: 2026, month: 11, day: 26)!).first?.startInstant)
        for (index, (name, kind, language)) in [
            ("Niccolò", NotificationKind.confirmed, "it"), ("Anna <b>&", .confirmed, "it"),
            ("Ö'Brien", .cancelled, "en"), ("Mario", .moved, "it"), ("Zoë", .confirmed, "en"),
            ("Ugo", .cancelled, "en"),
        ].enumerated() {
            let booking = Booking(
                id: Int64(index + 1), code: "C0DE\(index)", slot: SlotRef(serviceID: service.id, start: start),
                slotEnd: start + 1_200, state: kind == .cancelled ? .cancelledByOperator : .booked,
                createdAt: start - 86_400,
                person: PersonDetails(
                    givenName: name, familyName: "Rossi", codiceFiscale: "RSSMRA85T10A562S",
                    email: "p\(index)@example.it", phone: "", notes: index % 2 == 0 ? nil : "note <\(index)>"),
                cancelReason: kind == .cancelled && index % 2 == 1 ? "Chiuso per \(name)" : nil, language: language)
            let message = OutboxMessage(
                id: Int64(index + 10), kind: kind, channel: .email, recipient: booking.person.email,
                payload: kind == .moved ? ["from": String(start - 3_600)] : [:], bookingID: booking.id,
                language: language, attempts: 0, createdAt: start - 86_400, sentAt: nil, dead: false, lastError: nil,
                claimedUntil: nil, claimedBy: nil, deliveryPID: nil)
            let mail = try composer.mail(for: message, booking: booking, now: start - 3_600)
            var values = try composer.values(message, booking: booking)
            values["subject"] = .string(composer.subject(message, booking: booking))
            let template = Composer.template(for: kind)
            #expect(mail.text == (try renderer.templates.render("mail/\(template).txt", .object(values))))
            #expect(mail.html == (try renderer.templates.render("mail/\(template)", .object(values))))
            if kind == .confirmed {
                let receipt = try #require(mail.attachments.last)
                #expect(receipt.bytes == Array((try renderer.templates.render("mail/receipt", .object(values))).utf8))
            }
        }
    }
}
