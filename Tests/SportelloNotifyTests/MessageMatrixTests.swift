import Foundation
import SportelloCore
import SportelloSite
import Testing

@testable import SportelloNotify
@testable import SportelloStore

/// Every kind of message in every language of the demo comune, through the independent parsers: each mail
/// with Python's `email` package, each calendar file with `icalendar`, and each SMS checked for leftovers.
@Suite struct MessageMatrixTests {
    let now = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 25)!, minutes: 8 * 60)!
    let first = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 26)!, minutes: 9 * 60 + 10)!
    let second = RomeTime.instant(date: CivilDate(year: 2026, month: 11, day: 26)!, minutes: 9 * 60 + 30)!

    struct Case {
        let file: String
        let message: OutboxMessage
        let booking: Booking?
    }

    func parts(_ message: [String: Any]) -> [[String: Any]] {
        (message["parts"] as? [Any] ?? []).compactMap { $0 as? [String: Any] }
    }

    @Test func everyKindInEveryLanguageParsesAndSaysWhatItShould() throws {
        let sandbox = try Sandbox()
        let renderer = try demoRenderer()
        let composer = Composer(renderer: renderer)
        let settings = composer.settings
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let store = BookingStore(database: database)
        let host = URL(string: renderer.catalogue.configuration.comune.baseURL)?.host ?? ""
        let service = try #require(renderer.catalogue.service(id: "carta-identita"))
        let reason = "Sciopero del personale; ci scusiamo, \"davvero\""
        let password = "Ab3dEf7hKm"
        var cases: [Case] = []
        var nextID: Int64 = 100

        func message(
            _ kind: NotificationKind, _ language: String, booking: Booking?, payload: [String: String] = [:]
        ) -> OutboxMessage {
            nextID += 1
            return OutboxMessage(
                id: nextID, kind: kind, channel: .email, recipient: booking?.person.email ?? "nuovo.utente@example.it",
                payload: payload, bookingID: booking?.id, language: language, attempts: 0, createdAt: now, sentAt: nil,
                dead: false, lastError: nil, claimedUntil: nil, claimedBy: nil, deliveryPID: nil)
        }
        func book(_ start: Int64, _ language: String, approval: ApprovalSettings? = nil) throws -> Booking {
            let placed = try store.placeHold(
                slot: SlotRef(serviceID: service.id, start: start), capacity: service.capacity,
                now: now, expiresAt: now + 600, clientIP: "t")
            let hold = placed.value
            let person = PersonDetails(
                givenName: "Niccolò", familyName: "D'Angelo Sàez", codiceFiscale: "RSSMRA85T10A562S",
                email: "niccolo.\(language)@example.it", phone: "+393331234567",
                notes: "Rinnovo: documento <scaduto> & perso")
            let confirmed = try store.confirm(
                holdToken: hold.token, person: person,
                slotEnd: start + Int64(service.slotMinutes) * 60, now: now,
                clientIP: "t", language: language, approval: approval)
            return confirmed.value
        }
        let approval = ApprovalSettings(required: true, expiresHoursBefore: 2)
        for language in renderer.catalogue.configuration.comune.languages {
            let booked = try book(first, language)
            cases.append(
                Case(
                    file: "confirmed-\(language)", message: message(.confirmed, language, booking: booked),
                    booking: booked))
            cases.append(
                Case(
                    file: "reminder-\(language)", message: message(.reminder, language, booking: booked),
                    booking: booked))
            // Moved to 09:50: the citizen's message with the updated calendar file, and the office's note.
            let moved = try store.move(
                code: booked.code, codiceFiscale: "RSSMRA85T10A562S", to: first + 2_400, capacity: service.capacity,
                now: now + 30, clientIP: "t"
            ).value
            cases.append(
                Case(
                    file: "moved-\(language)",
                    message: message(.moved, language, booking: moved, payload: ["from": String(first)]),
                    booking: moved))
            cases.append(
                Case(
                    file: "office-\(language)",
                    message: message(
                        .office, language, booking: moved, payload: ["event": "moved", "from": String(first)]),
                    booking: moved))
            let byCitizen = try store.cancel(
                code: booked.code, codiceFiscale: "RSSMRA85T10A562S", now: now + 60, clientIP: "t"
            ).value
            cases.append(
                Case(
                    file: "cancelled-citizen-\(language)", message: message(.cancelled, language, booking: byCitizen),
                    booking: byCitizen))
            let other = try book(second, language)
            let byOffice = try store.cancelByOperator(
                code: other.code, reason: reason, keepClosed: false, now: now + 60, actor: "operator:test",
                address: "t"
            ).value
            cases.append(
                Case(
                    file: "cancelled-office-\(language)",
                    message: message(.cancelled, language, booking: byOffice, payload: ["reason": reason]),
                    booking: byOffice))
            cases.append(
                Case(
                    file: "credentials-\(language)",
                    message: message(
                        .credentials, language, booking: nil,
                        payload: [
                            "codiceFiscale": "RSSMRA85T10A562S", "name": "Niccolò D'Angelo Sàez",
                            "password": password,
                        ]), booking: nil))
            // Approval: the request, then the office's three answers (docs/ARCHITECTURE.md §3 "Approval and staff-only services").
            // Each language's requests at slots of their own after `second`: an approved one keeps its slot.
            let later = service.slots(on: RomeTime.local(second).date).map(\.startInstant).filter { $0 > second }
            let offset = 3 * (renderer.catalogue.configuration.comune.languages.firstIndex(of: language) ?? 0)
            try #require(later.count >= offset + 3)
            let requested = try book(later[offset + 0], language, approval: approval)
            cases.append(
                Case(
                    file: "requested-\(language)", message: message(.requested, language, booking: requested),
                    booking: requested))
            let approved = try store.approve(code: requested.code, now: now + 60, actor: "operator:test", address: "t")
            cases.append(
                Case(
                    file: "approved-\(language)", message: message(.approved, language, booking: approved.value),
                    booking: approved.value))
            let refusedRequest = try book(later[offset + 1], language, approval: approval)
            let refused = try store.refuse(
                code: refusedRequest.code, reason: reason, now: now + 60, actor: "operator:test", address: "t")
            cases.append(
                Case(
                    file: "refused-\(language)",
                    message: message(.refused, language, booking: refused.value, payload: ["reason": reason]),
                    booking: refused.value))
            let expiring = try book(later[offset + 2], language, approval: approval)
            let expired = try store.expireRequests(
                approvals: [service.id: approval], now: expiring.slot.start - 7_200)
            #expect(expired.value.map(\.code) == [expiring.code])
            cases.append(
                Case(
                    file: "expired-\(language)",
                    message: message(.expired, language, booking: expired.value.first), booking: expired.value.first))
        }
        var paths: [String] = []
        for item in cases {
            let path = "\(sandbox.folder)/\(item.file).eml"
            try composer.mail(for: item.message, booking: item.booking, now: now + 120).rendered.write(
                toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let parsed = try parse(paths)
        try #require(parsed.count == cases.count)
        var messageIDs: Set<String> = []
        for (item, mail) in zip(cases, parsed) {
            let label = item.file
            let t = renderer.texts(item.message.language)
            #expect((mail["problems"] as? [String]) == [], "\(label): \(mail["problems"] ?? "")")
            #expect((mail["longestLine"] as? Int ?? 999) <= 78, "\(label): \(mail["longLines"] ?? "")")
            #expect(mail["subject"] as? String == composer.subject(item.message, booking: item.booking), "\(label)")
            #expect(
                mail["fromNames"] as? [String] == [settings.fromName ?? renderer.catalogue.configuration.comune.name],
                "\(label)")
            #expect(mail["fromAddresses"] as? [String] == [settings.from], "\(label)")
            #expect(mail["to"] as? String == item.message.recipient, "\(label)")
            let messageID = mail["messageID"] as? String ?? ""
            #expect(messageID.hasSuffix("@\(host)>") && messageIDs.insert(messageID).inserted, "\(label): \(messageID)")
            let all = parts(mail)
            let text = all.first { $0["type"] as? String == "text/plain" }?["text"] as? String ?? ""
            let html =
                all.first { $0["type"] as? String == "text/html" && $0["filename"] is NSNull }?["text"] as? String ?? ""
            let body = text + html
            if item.message.kind == .office {
                #expect(text.hasPrefix(t.text("move.office.events.moved")), "\(label): \(text.prefix(80))")
            } else {
                #expect(
                    text.hasPrefix("\(t.text("mail.greeting")) Niccolò D'Angelo Sàez,"), "\(label): \(text.prefix(80))")
            }
            #expect(
                html.contains("<html lang=\"\(item.message.language)\">") && html.contains("D&#39;Angelo Sàez"),
                "\(label)")
            // No translation missing (a missing key shows as itself) and no placeholder left unfilled.
            for key in ["mail.", "receipt.", "summary.", "{service}", "{date}", "{comune}"] {
                #expect(!body.contains(key), "\(label) shows \"\(key)\"")
            }
            let calendars = all.compactMap { $0["calendar"] as? [String: Any] }
            let receipts = all.filter { ($0["filename"] as? String)?.hasPrefix("ricevuta-") == true }
            switch item.message.kind {
            case .credentials:
                #expect(mail["contentType"] as? String == "multipart/alternative")
                #expect(text.contains(password) && text.contains("RSSMRA85T10A562S") && calendars.isEmpty, "\(label)")
                continue
            case .confirmed, .approved:
                #expect(mail["contentType"] as? String == "multipart/mixed")
                #expect(
                    receipts.count == 1
                        && (receipts.first?["text"] as? String)?.contains("documento &lt;scaduto&gt; &amp; perso")
                            == true,
                    "\(label)")
            case .moved:
                #expect(mail["contentType"] as? String == "multipart/mixed" && receipts.isEmpty, "\(label)")
                #expect(text.contains(t.text("move.mail.intro")), "\(label)")
                #expect(text.contains(t.text("move.formerTime")), "\(label)")
                #expect(text.contains("09:10") && text.contains("09:50"), "\(label)")
            case .office:
                // What the agenda shows (service, time, code, name), nothing more: no codice fiscale, contact, notes.
                #expect(mail["contentType"] as? String == "multipart/alternative", "\(label)")
                #expect(calendars.isEmpty && receipts.isEmpty, "\(label)")
                #expect(text.contains("09:10") && text.contains("09:50"), "\(label)")
                #expect(text.contains(service.text(for: item.message.language).name), "\(label)")
                for secret in ["RSSMRA85T10A562S", "niccolo.", "3331234567", "scaduto"] {
                    #expect(!body.contains(secret), "\(label) shows \"\(secret)\"")
                }
                #expect(item.booking.map { text.contains($0.code) } == true, "\(label)")
                continue
            case .cancelled:
                #expect(mail["contentType"] as? String == "multipart/mixed" && receipts.isEmpty, "\(label)")
                if item.booking?.state == .cancelledByOperator {
                    #expect(text.contains(t.text("mail.cancelled.byOperator")) && text.contains(reason), "\(label)")
                    #expect(html.contains("Sciopero del personale; ci scusiamo, &quot;davvero&quot;"), "\(label)")
                } else {
                    #expect(text.contains(t.text("mail.cancelled.byCitizen")) && !text.contains(reason), "\(label)")
                }
            case .refused:
                #expect(
                    mail["contentType"] as? String == "multipart/alternative" && calendars.isEmpty && receipts.isEmpty,
                    "\(label)")
                #expect(text.contains(reason) && !text.contains(t.text("mail.cancelled.byOperator")), "\(label)")
            default:
                #expect(
                    mail["contentType"] as? String == "multipart/alternative" && calendars.isEmpty && receipts.isEmpty,
                    "\(label)")
            }
            let booking = try #require(item.booking)
            #expect(
                text.contains(booking.code) && text.contains(t.longDate(RomeTime.local(booking.slot.start).date)),
                "\(label): \(text)")
            // Only a booked appointment goes in a calendar: never a request nor its refusal or expiry.
            guard [.confirmed, .approved, .cancelled].contains(item.message.kind) else { continue }
            let calendar = try #require(calendars.first, "\(label)")
            let cancelled = item.message.kind == .cancelled
            #expect(calendars.count == 1)
            #expect(calendar["method"] as? String == (cancelled ? "CANCEL" : "PUBLISH"), "\(label)")
            // The booking's version: each move raised it, a cancellation is one more.
            #expect(
                calendar["sequence"] as? Int == booking.sequence + (cancelled ? 1 : 0)
                    && calendar["status"] as? String == (cancelled ? "CANCELLED" : "CONFIRMED"), "\(label)")
            #expect(calendar["uid"] as? String == "\(booking.code)@\(host)", "\(label)")
            #expect(
                calendar["location"] as? String == service.address
                    && calendar["organizer"] as? String == "mailto:\(service.email ?? settings.from)"
                    && calendar["attendee"] as? String == "None", "\(label)")
            let start = ISO8601DateFormatter().string(
                from: Date(timeIntervalSince1970: TimeInterval(booking.slot.start)))
            #expect(
                (calendar["dtstart"] as? String)?.replacingOccurrences(of: "+00:00", with: "Z") == start, "\(label)")
        }
    }

    @Test func everySMSIsFilledIn() throws {
        let renderer = try demoRenderer()
        let composer = Composer(renderer: renderer)
        let sandbox = try Sandbox()
        let database = try Database(path: "\(sandbox.folder)/db.sqlite")
        let store = BookingStore(database: database)
        let hold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: first), capacity: 2, now: now, expiresAt: now + 600,
            clientIP: "t"
        ).value
        let booking = try store.confirm(
            holdToken: hold.token,
            person: PersonDetails(
                givenName: "Ada", familyName: "Neri", codiceFiscale: "RSSMRA85T10A562S",
                email: "ada@example.it", phone: "3331234567"),
            slotEnd: first + 1_200, now: now, clientIP: "t"
        ).value
        let cancelled = try store.cancelByOperator(
            code: booking.code, reason: "Ufficio chiuso", keepClosed: false, now: now, actor: "operator:test",
            address: "t"
        ).value
        let requestHold = try store.placeHold(
            slot: SlotRef(serviceID: "carta-identita", start: second), capacity: 2, now: now, expiresAt: now + 600,
            clientIP: "t"
        ).value
        let request = try store.confirm(
            holdToken: requestHold.token,
            person: PersonDetails(
                givenName: "Ada", familyName: "Neri", codiceFiscale: "RSSMRA85T10A562S",
                email: "ada@example.it", phone: "3331234567"),
            slotEnd: second + 1_200, now: now, clientIP: "t", approval: ApprovalSettings(required: true)
        ).value
        let refused = try store.refuse(
            code: request.code, reason: "Documenti incompleti", now: now, actor: "operator:test", address: "t"
        ).value
        for language in renderer.catalogue.configuration.comune.languages {
            for (kind, subject) in [
                (.confirmed, booking), (.reminder, booking), (.cancelled, cancelled), (.credentials, nil),
                (.moved, booking), (.office, booking),
                (.requested, request), (.approved, booking), (.refused, refused), (.expired, cancelled),
            ] as [(NotificationKind, Booking?)] {
                let payloads: [NotificationKind: [String: String]] = [
                    .credentials: ["codiceFiscale": "RSSMRA85T10A562S", "password": "Ab3dEf7hKm"],
                    .moved: ["from": String(first - 1_200)], .office: ["event": "confirmed"],
                ]
                let message = OutboxMessage(
                    id: 1, kind: kind, channel: .sms, recipient: "3331234567",
                    payload: payloads[kind] ?? [:],
                    bookingID: subject?.id, language: language, attempts: 0, createdAt: now, sentAt: nil, dead: false,
                    lastError: nil, claimedUntil: nil, claimedBy: nil, deliveryPID: nil)
                let text = try composer.sms(for: message, booking: subject)
                #expect(
                    !text.contains("{") && !text.contains("sms.") && text.hasPrefix("Comune di Valfiorita:"),
                    "\(kind)-\(language): \(text)")
                #expect(
                    text.contains(kind == .credentials ? "Ab3dEf7hKm" : subject?.code ?? ""),
                    "\(kind)-\(language): \(text)")
                if kind == .cancelled { #expect(text.contains("Ufficio chiuso"), "\(language): \(text)") }
                if kind == .refused { #expect(text.contains("Documenti incompleti"), "\(language): \(text)") }
                #expect(text.count <= 320, "\(kind)-\(language) takes more than two SMS: \(text)")
            }
        }
    }

    @Test func senderNamesWithSpecialCharactersStayOneAddress() throws {
        let sandbox = try Sandbox()
        let names = [
            "Comune di Calci (PI), Ufficio Anagrafe", "Comune di S. Anna", "Ufficio \"Tributi\" \\ Comune",
            "Comune di Valfiorita",
            "Comune di Sant'Angelo – Servizi demografici (LO)",
            "Città di Reggio nell'Emilia, Servizi al cittadino e anagrafe centrale",
        ]
        var paths: [String] = []
        for (index, name) in names.enumerated() {
            let mail = MailMessage(
                fromName: name, fromAddress: "noreply@comune.example.it", toAddress: "a@example.it", subject: "Prova",
                date: now, messageID: "test-\(index)@comune.example.it", text: "Testo")
            let path = "\(sandbox.folder)/from-\(index).eml"
            try mail.rendered.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        for (name, mail) in zip(names, try parse(paths)) {
            #expect((mail["problems"] as? [String]) == [], "\(name): \(mail["problems"] ?? "")")
            #expect(mail["fromNames"] as? [String] == [name])
            #expect(mail["fromAddresses"] as? [String] == ["noreply@comune.example.it"], "\(name)")
            #expect((mail["longestLine"] as? Int ?? 999) <= 78, "\(name): \(mail["longLines"] ?? "")")
        }
    }
}
