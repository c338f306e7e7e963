import Foundation
import SportelloCore
import SportelloSite
import SportelloStore

/// Builds each notification from the templates in `site-templates/mail/` and the texts of its language:
/// the mail (text and HTML alternatives, the receipt, a calendar file) and the SMS text.
public struct Composer: Sendable {
    /// The site's renderer: its templates, translations and layout write the messages as they write the pages.
    public let renderer: PageRenderer
    /// The comune's sender and channels.
    public let settings: NotificationSettings

    /// A composer for the site `renderer` renders, with the notification settings of its configuration.
    public init(renderer: PageRenderer) {
        self.renderer = renderer
        settings = renderer.catalogue.configuration.notifications
        baseHost = URL(string: renderer.catalogue.configuration.comune.baseURL)?.host
        origin = renderer.catalogue.configuration.comune.origin
    }

    /// The host of the comune's base URL, for Message-IDs and calendar UIDs: parsed once, not for every mail.
    let baseHost: String?
    /// The comune's origin (`ComuneSettings.origin` parses the base URL on every call), for absolute addresses.
    let origin: String
    /// What `renderer.serviceValue` gives, by service and language: the same for every message about the service
    /// (its schedule and seasons are formatted text), so it is built once (issue 16).
    private let serviceValues = Locked<[String: TemplateFields]>([:])

    func serviceValue(_ service: Service, language: String) -> TemplateFields {
        let key = service.id + "\u{0}" + language
        if let known = serviceValues.withLock({ $0[key] }) { return known }
        let value = renderer.serviceValue(service, language: language)
        serviceValues.withLock { $0[key] = value }
        return value
    }

    var comune: ComuneSettings { renderer.catalogue.configuration.comune }

    /// The mail templates rendered once per kind, service and language, filled in per message (`values`' own
    /// values: what differs from one booking's message to the next). "t" follows from the language and
    /// "service" from the service and language (`serviceValue`).
    let templateCache = MailTemplateCache(
        ownPaths: [
            "code", "desk", "state", "when", "person.name", "person.codiceFiscale", "person.notes", "presenter",
            "bookedAt", "reason", "from", "event", "subject",
        ],
        sharedNames: ["t", "service"])

    /// Why a message could not be written; the outbox records it and retries.
    public enum Failure: Error, CustomStringConvertible {
        /// The booking the message is about cannot be found; its id when the message names one.
        case bookingMissing(Int64?)
        /// A template failed to render; the text says which and why.
        case template(String)

        /// The failure in words, as the outbox row and the log keep it.
        public var description: String {
            switch self {
            case .bookingMissing(let id): "booking \(id.map(String.init) ?? "?") not found"
            case .template(let text): text
            }
        }
    }

    /// An absolute address of a public page, for messages read outside the site.
    func absolute(_ page: PageID, language: String) -> String {
        origin + renderer.layout.url(page, language: language)
    }

    /// What the receipt shows; the receipt page of the endpoint uses the same values.
    public func receiptValues(_ booking: Booking, language: String) -> TemplateFields {
        let t = renderer.texts(language)
        let service = renderer.catalogue.service(id: booking.slot.serviceID)
        let slot = service?.slot(startingAt: booking.slot.start)
        var values: TemplateFields = [
            "comune": .string(comune.name),
            "code": .string(booking.code),
            "desk": .string(booking.deskName ?? ""),
            "state": .string(t.text("operator.stateNames.\(booking.state.rawValue)")),
            "when": .string(slot.map { renderer.whenText($0, t) } ?? ""),
            "person": .object([
                "name": .string("\(booking.person.givenName) \(booking.person.familyName)"),
                "codiceFiscale": .string(booking.person.codiceFiscale), "notes": .string(booking.person.notes ?? ""),
            ]),
            "presenter": .string(
                booking.person.presenterCodiceFiscale.map { "\(booking.person.presenterName ?? "") – \($0)" } ?? ""),
            "bookedAt": .string(dateTime(booking.createdAt, t)),
            "lang": .string(language),
            "t": t.templateValue,
        ]
        if let service { values["service"] = .object(serviceValue(service, language: language)) }
        return values
    }

    func dateTime(_ instant: Int64, _ t: Translations) -> String {
        let local = RomeTime.local(instant)
        return "\(t.longDate(local.date)) \(LocalTime(minutes: local.minutes)?.description ?? "")"
    }

    /// The calendar entry of a booking: PUBLISH when confirmed or moved, CANCEL when cancelled. The UID is the
    /// booking's for all of them; the SEQUENCE is the booking's (each move raises it), one more when cancelled,
    /// so a calendar replaces the event it has with the newest version (`sequence` overrides it).
    /// PUBLISH with no ATTENDEE is an event to add, not an invitation: mail clients show no Accept/Decline, whose
    /// replies would go to the no-reply sender and nowhere (README, "Calendar file"). The ORGANIZER (which RFC
    /// 5546 asks of PUBLISH) is the office's own address where the catalogue has one.
    public func calendarEvent(
        _ booking: Booking, language: String, cancelled: Bool, sequence: Int? = nil
    ) -> CalendarEvent? {
        guard let service = renderer.catalogue.service(id: booking.slot.serviceID) else { return nil }
        let t = renderer.texts(language)
        let host = baseHost ?? "sportello"
        let officeAddress = service.email.flatMap { (try? FieldValidator.email($0)) != nil ? $0 : nil }
        return CalendarEvent(
            uid: "\(booking.code)@\(host)", sequence: sequence ?? booking.sequence + (cancelled ? 1 : 0),
            start: booking.slot.start,
            end: booking.slotEnd,
            stamp: booking.createdAt, summary: "\(service.text(for: language).name) – \(comune.name)",
            location: service.address,
            description: t.format("confirmed.calendarDescription", ["code": booking.code]), cancelled: cancelled,
            method: cancelled ? "CANCEL" : "PUBLISH",
            organizer: (name: settings.fromName ?? comune.name, email: officeAddress ?? settings.from),
            attendee: nil)
    }

    /// The values a message template reads.
    func values(_ message: OutboxMessage, booking: Booking?) throws(Failure) -> TemplateFields {
        let language = message.language
        let t = renderer.texts(language)
        var values: TemplateFields
        if message.kind.isAboutPerson {
            values = [
                "comune": .string(comune.name), "lang": .string(language), "t": t.templateValue,
                "person": .object([
                    "name": .string(message.payload["name"] ?? ""),
                    "codiceFiscale": .string(message.payload["codiceFiscale"] ?? ""),
                ]),
                "password": .string(message.payload["password"] ?? ""), "code": .string(message.payload["code"] ?? ""),
                "intro": .string(
                    t.format("mail.\(message.kind).intro", ["codiceFiscale": message.payload["codiceFiscale"] ?? ""])),
            ]
        } else {
            guard let booking else { throw .bookingMissing(message.bookingID) }
            values = receiptValues(booking, language: language)
            values["reason"] = .string(message.payload["reason"] ?? booking.cancelReason ?? "")
            values["byOperator"] = .bool(booking.state == .cancelledByOperator)
            values["serviceURL"] = .string(absolute(.service(booking.slot.serviceID), language: language))
            let from = message.payload["from"].flatMap { Int64($0) }
            let service = renderer.catalogue.service(id: booking.slot.serviceID)
            values["from"] = .string(from.map { renderer.whenText(startingAt: $0, service: service, t) } ?? "")
            if message.kind == .office {
                values["event"] = .string(officeEvent(message, t))
            }
            // Kinds that share a template (see `template(for:)`) differ by their opening sentence.
            let intro = "mail.\(message.kind).intro"
            values["intro"] = .string(t.has(intro) ? t.text(intro) : "")
        }
        values["cancelURL"] = .string(absolute(.cancel, language: language))
        values["accountURL"] = .string(absolute(.account, language: language))
        return values
    }

    /// What happened, for the office: "Nuova prenotazione", "Prenotazione spostata", "Prenotazione annullata".
    func officeEvent(_ message: OutboxMessage, _ t: Translations) -> String {
        let event = message.payload["event"] ?? ""
        let known = [NotificationKind.confirmed, .moved, .cancelled, .requested, .expired].map(\.rawValue)
        return t.text("move.office.events.\(known.contains(event) ? event : NotificationKind.confirmed.rawValue)")
    }

    func subject(_ message: OutboxMessage, booking: Booking?) -> String {
        let t = renderer.texts(message.language)
        guard let booking, let service = renderer.catalogue.service(id: booking.slot.serviceID) else {
            return t.format("mail.\(message.kind).subject", ["comune": comune.name])
        }
        let local = RomeTime.local(booking.slot.start)
        return t.format(
            "mail.\(message.kind).subject",
            [
                "service": service.text(for: message.language).name, "date": t.longDate(local.date),
                "comune": comune.name, "event": message.kind == .office ? officeEvent(message, t) : "",
            ])
    }

    /// The mail template of a kind (`mail/<name>.html` and `.txt`): an approval reads as a confirmation and an
    /// expired request as a refused one, each with its own opening sentence (`mail.<kind>.intro`), so a comune
    /// restyles one file for each.
    static func template(for kind: NotificationKind) -> String {
        switch kind {
        case .approved: NotificationKind.confirmed.rawValue
        case .expired: NotificationKind.refused.rawValue
        default: kind.rawValue
        }
    }

    /// The mail for an outbox message, in the message's language, with an iCalendar attachment where it has one.
    public func mail(for message: OutboxMessage, booking: Booking?, now: Int64) throws(Failure) -> MailMessage {
        var values = try values(message, booking: booking)
        let subject = subject(message, booking: booking)
        values["subject"] = .string(subject)
        // Messages about a person carry secrets (a password, a code) that no cache key may keep.
        let shared = booking.map { message.language + "\u{0}" + $0.slot.serviceID }
        let prepared = message.kind.isAboutPerson ? nil : shared.map { templateCache.prepare(values, shared: $0) }
        let render = { (name: String) throws -> String in
            guard let prepared else { return try renderer.templates.render(name, .object(values)) }
            return try templateCache.render(name, values, prepared) { try renderer.templates.render($0, .object($1)) }
        }
        let text: String
        let html: String
        do {
            text = try render("mail/\(Self.template(for: message.kind)).txt")
            html = try render("mail/\(Self.template(for: message.kind))")
        } catch {
            throw .template("\(error)")
        }
        var attachments: [MailMessage.Attachment] = []
        // A request waiting for approval is no appointment yet: its calendar file and receipt come with the
        // approval. A move updates the calendar event; the receipt stays the one of the booking's code.
        let books = message.kind == .confirmed || message.kind == .approved
        if let booking, books || message.kind == .cancelled || message.kind == .moved {
            if let event = calendarEvent(booking, language: message.language, cancelled: message.kind == .cancelled) {
                attachments.append(
                    .init(
                        filename: "appuntamento-\(booking.code).ics",
                        contentType: "text/calendar; charset=utf-8; method=\(event.method)",
                        bytes: Array(event.ics.utf8)))
            }
            if books {
                do {
                    let receipt = try render("mail/receipt")
                    attachments.append(
                        .init(
                            filename: "ricevuta-\(booking.code).html", contentType: "text/html; charset=utf-8",
                            bytes: Array(receipt.utf8)))
                } catch {
                    throw .template("\(error)")
                }
            }
        }
        let host = baseHost ?? "sportello.invalid"
        return MailMessage(
            fromName: settings.fromName ?? comune.name, fromAddress: settings.from, toAddress: message.recipient,
            subject: subject,
            date: now, messageID: "outbox-\(message.id).\(message.kind)@\(host)", text: text, html: html,
            attachments: attachments)
    }

    /// The SMS text for an outbox message, in the message's language.
    public func sms(for message: OutboxMessage, booking: Booking?) throws(Failure) -> String {
        let t = renderer.texts(message.language)
        if message.kind.isAboutPerson {
            return t.format(
                "sms.\(message.kind)",
                [
                    "comune": comune.name, "codiceFiscale": message.payload["codiceFiscale"] ?? "",
                    "password": message.payload["password"] ?? "", "code": message.payload["code"] ?? "",
                ])
        }
        guard let booking, let service = renderer.catalogue.service(id: booking.slot.serviceID) else {
            throw .bookingMissing(message.bookingID)
        }
        let local = RomeTime.local(booking.slot.start)
        let reason = message.payload["reason"] ?? booking.cancelReason
        return t.format(
            "sms.\(message.kind)",
            [
                "comune": comune.name, "code": booking.code, "service": service.text(for: message.language).name,
                "date": t.shortDate(local.date), "time": LocalTime(minutes: local.minutes)?.description ?? "",
                "reason": reason.map { " \($0)" } ?? "",
                "event": message.kind == .office ? officeEvent(message, t) : "",
            ])
    }
}
