import SportelloCore

/// Builds the template context of each public page and renders it. It holds only public data: states and
/// counts of slots, never who booked them.
public struct PageRenderer: Sendable {
    /// The services and the configuration the pages describe.
    public let catalogue: Catalogue
    /// The compiled page (and message) templates.
    public let templates: TemplateLibrary
    /// The texts of each language the site is published in, by language code.
    public let translations: [String: Translations]
    /// Where each page lives, derived from the comune's base URL and main language.
    public let layout: SiteLayout

    /// A renderer for `catalogue`'s site; the layout follows from its configuration.
    public init(catalogue: Catalogue, templates: TemplateLibrary, translations: [String: Translations]) {
        self.catalogue = catalogue
        self.templates = templates
        self.translations = translations
        let comune = catalogue.configuration.comune
        layout = SiteLayout(basePath: comune.basePath, mainLanguage: comune.language)
        for language in comune.languages {
            languageFrames[language] = .object(languageFields(language))
            weekPageTexts[language] = WeekPageTexts(self, language: language)
        }
    }

    /// The values every week page of a language shares, built once per language.
    private var weekPageTexts: [String: WeekPageTexts] = [:]

    /// `languageFields` of each of the site's languages, built once: every page of a language renders over it.
    private var languageFrames: [String: TemplateValue] = [:]

    /// The site's languages, the main one first.
    public var languages: [String] { catalogue.configuration.comune.languages }

    /// The texts of `language`, or of the main language when the site has none for it.
    public func texts(_ language: String) -> Translations {
        translations[language] ?? translations[layout.mainLanguage] ?? translations.values.first!
    }

    /// The Mondays of the published weeks when today is `today`.
    public func publishedWeeks(today: CivilDate) -> [CivilDate] {
        let first = today.mondayOfWeek
        return (0..<catalogue.configuration.booking.weeksPublished).map { first.adding(days: 7 * $0) }
    }

    // MARK: Shared context

    /// Values every page of a language shares: the comune, the texts, the language switcher.
    public func siteContext(language: String, page: PageID) -> TemplateFields {
        var fields = languageFields(language)
        fields["alternates"] = alternates(language: language, page: page)
        return fields
    }

    /// The links to `page` in the site's other languages, for the layout's switcher.
    func alternates(language: String, page: PageID) -> TemplateValue {
        .list(
            languages.filter { $0 != language }.map { other in
                .object([
                    "lang": .string(other), "label": .string(texts(other).text("language.name")),
                    "url": .string(layout.url(page, language: other)),
                ])
            })
    }

    /// The part of `siteContext` that is the same on every page of `language`: the comune and the texts.
    func languageFields(_ language: String) -> TemplateFields {
        let comune = catalogue.configuration.comune
        let t = texts(language)
        var site: TemplateFields = [
            "name": .string(comune.name),
            "home": .string(layout.url(.catalogue, language: language)),
            "css": .string(layout.asset("sportello.css")),
            "js": .string(layout.asset("sportello.js")),
            "icon": .string(layout.asset("favicon.svg")),
            "cancel": .string(layout.url(.cancel, language: language)),
            "account": .string(layout.url(.account, language: language)),
        ]
        if let number = comune.tollFreeNumber {
            site["tollFree"] = .string(number)
            site["tollFreeHref"] = .string("tel:" + number.filter { $0.isNumber })
        }
        if let phone = comune.phone {
            site["phone"] = .string(phone)
            site["phoneHref"] = .string("tel:" + phone.filter { $0.isNumber })
        }
        if let email = comune.email { site["email"] = .string(email) }
        if let website = comune.website { site["website"] = .string(website) }
        return ["site": .object(site), "t": t.templateValue, "lang": .string(language)]
    }

    /// Renders a page body inside the layout.
    public func page(
        _ name: String, title: String, language: String, pageID: PageID, context: TemplateFields,
        breadcrumb: [(String, String?)], into buffer: inout [UInt8]
    ) throws {
        // The values a page shares with its language are a frame of their own below the page's (a name is looked
        // up in the page's first), not copied into one object per page.
        try page(
            name, title: title, language: language, pageID: pageID, context: context,
            breadcrumb: Self.breadcrumbValue(breadcrumb), into: &buffer)
    }

    /// The layout's breadcrumb: each item's name, its link unless it is the current page, the last one current.
    static func breadcrumbValue(_ breadcrumb: [(String, String?)]) -> TemplateValue {
        .list(
            breadcrumb.enumerated().map { index, item in
                var crumb: TemplateFields = ["name": .string(item.0)]
                if let url = item.1 { crumb["url"] = .string(url) }
                if index == breadcrumb.count - 1 { crumb["current"] = true }
                return .object(crumb)
            })
    }

    /// `page` with the breadcrumb already made (`breadcrumbValue`), for pages that share one.
    func page(
        _ name: String, title: String, language: String, pageID: PageID, context: TemplateFields,
        breadcrumb: TemplateValue, into buffer: inout [UInt8]
    ) throws {
        var values = context
        if values["alternates"] == nil { values["alternates"] = alternates(language: language, page: pageID) }
        values["title"] = .string(title)
        values["breadcrumb"] = breadcrumb
        let shared = languageFrames[language] ?? .object(languageFields(language))
        try templates.render(name, inLayout: "layout", frames: [shared, .object(values)], into: &buffer)
    }

    // MARK: Service facts

    /// What pages and messages show about `service` in `language`: name, office, address, documents, hours.
    public func serviceValue(_ service: Service, language: String) -> TemplateFields {
        let t = texts(language)
        let text = service.text(for: language)
        var value: TemplateFields = [
            "id": .string(service.id),
            "name": .string(text.name),
            "description": .string(text.description),
            "url": .string(layout.url(.service(service.id), language: language)),
            "duration": .string(
                t.format(
                    "service.duration", count: service.appointmentMinutes,
                    ["minutes": String(service.appointmentMinutes)])),
            "documents": .list(text.documents.map { .string($0) }),
            "hasDocuments": .bool(!text.documents.isEmpty),
            "capacity": .string(String(service.capacity)),
            "schedule": scheduleValue(service.schedule, t),
            "seasons": .list(
                service.seasons.map { season in
                    func dayMonth(_ day: MonthDay) -> String {
                        t.format("service.dayMonth", ["day": String(day.day), "month": t.text("month.\(day.month)")])
                    }
                    return .object([
                        "period": .string(
                            t.format("service.season", ["from": dayMonth(season.from), "to": dayMonth(season.to)])),
                        "schedule": scheduleValue(season.schedule, t),
                    ])
                }),
        ]
        if !service.pauses.isEmpty {
            value["pauses"] = .string(
                t.format(
                    "service.pauses", ["ranges": service.pauses.map { "\($0.start)–\($0.end)" }.joined(separator: ", ")]
                ))
        }
        for (key, field) in locationFields(
            address: service.address, coordinates: service.coordinates, language: language)
        {
            value[key] = field
        }
        if let phone = service.phone {
            value["phone"] = .string(phone)
            value["phoneHref"] = .string("tel:" + phone.filter { $0.isNumber })
        }
        if let email = service.email { value["email"] = .string(email) }
        if let office = service.ancestorIDs.last.flatMap({ catalogue.entry(id: $0) }) {
            value["office"] = .string(office.text(for: language).name)
            value["officeURL"] = .string(layout.url(.office(office.id), language: language))
        }
        return value
    }

    /// Opening hours as "weekday: ranges" lines, working days only.
    func scheduleValue(_ schedule: [Weekday: [TimeRange]], _ t: Translations) -> TemplateValue {
        .list(
            Weekday.allCases.compactMap { day in
                guard let ranges = schedule[day], !ranges.isEmpty else { return nil }
                return .object([
                    "day": .string(t.text("weekday.\(day.rawValue)")),
                    "hours": .string(ranges.map { "\($0.start)–\($0.end)" }.joined(separator: ", ")),
                ])
            })
    }

    func breadcrumb(for service: Service, language: String, current: Bool) -> [(String, String?)] {
        ancestorCrumbs(ofEntry: service.id, language: language) + [
            (service.text(for: language).name, current ? nil : layout.url(.service(service.id), language: language))
        ]
    }

    /// "giovedì 26 novembre 2026, 09:10–09:30": a slot as every page and message names it.
    public func whenText(_ slot: Slot, _ t: Translations) -> String {
        t.format(
            "when.slot", ["date": t.longDate(slot.date), "start": slot.start.description, "end": slot.end.description])
    }

    func nextFreeValue(_ next: SlotAvailability?, service: Service, language: String) -> TemplateValue {
        let t = texts(language)
        guard let next else { return .string("") }
        return .object([
            "text": .string(
                t.format(
                    "service.nextFree", ["date": t.longDate(next.slot.date), "time": next.slot.start.description])),
            "url": .string(
                layout.url(.week(service.id, monday: next.slot.date.mondayOfWeek), language: language)
                    + "#d-\(next.slot.date)"),
        ])
    }

    // MARK: Pages

    /// The home page: every office and service, each with its next free slot from `nextFree` (by service id).
    public func renderCatalogue(
        language: String, nextFree: [String: SlotAvailability?], into buffer: inout [UInt8]
    ) throws {
        let t = texts(language)
        let open = catalogue.publicServices.count <= Self.openCatalogueLimit
        try page(
            "catalogue", title: t.text("catalogue.title"), language: language, pageID: .catalogue,
            context: [
                "entries": .list(
                    catalogue.roots.filter(catalogue.isPublic).map {
                        entryValue($0, language: language, nextFree: nextFree, open: open)
                    }),
                // "Prenota per un'altra persona" before choosing a service's slot: which service, for whom.
                "forOther": .object([
                    "action": .string(layout.api(.beneficiary)),
                    "services": .list(
                        catalogue.publicServices.map { service in
                            .object(["id": .string(service.id), "name": .string(service.text(for: language).name)])
                        }),
                ]),
            ],
            breadcrumb: [(t.text("nav.home"), nil)], into: &buffer)
    }

    /// The service page's "prenota per un'altra persona" form (`partials/for-other-form.html`): empty for
    /// `output/`; an endpoint answering a refused codice fiscale passes what was typed and the error code, named
    /// in the summary with a link to the field.
    public func forOtherValue(
        service: Service, language: String, typed: String = "", error: String? = nil
    ) -> TemplateValue {
        let t = texts(language)
        let summary = FieldErrorSummary(fields: [
            FieldErrorSummary.Field(name: "beneficiary", id: "for-other-cf", label: t.text("form.beneficiary.label"))
        ])
        return [
            "action": .string(layout.api(.beneficiary)), "serviceID": .string(service.id),
            "value": .string(String(typed.prefix(16))),
            "error": .string(error.map { FieldErrorSummary.message($0, t) } ?? ""),
            "errorSummary": summary.value(errors: error.map { ["beneficiary": $0] } ?? [:], t),
        ]
    }

    /// A service's page, with its next free slot and the link to the week of `today`.
    public func renderService(
        _ service: Service, language: String, today: CivilDate, nextFree: SlotAvailability?, into buffer: inout [UInt8]
    ) throws {
        try renderService(service, language: language, today: today, nextFree: nextFree, facts: nil, into: &buffer)
    }

    /// `renderService` with the service's `serviceValue` already made (`facts`; nil: made here).
    func renderService(
        _ service: Service, language: String, today: CivilDate, nextFree: SlotAvailability?, facts: TemplateFields?,
        into buffer: inout [UInt8]
    ) throws {
        var context: TemplateFields = ["service": .object(facts ?? serviceValue(service, language: language))]
        context["bookURL"] = .string(layout.url(.week(service.id, monday: today.mondayOfWeek), language: language))
        context["next"] = nextFreeValue(nextFree, service: service, language: language)
        context["forOther"] = forOtherValue(service: service, language: language)
        try page(
            "service", title: service.text(for: language).name, language: language, pageID: .service(service.id),
            context: context, breadcrumb: breadcrumb(for: service, language: language, current: true), into: &buffer)
    }

    /// `serviceFacts` is `serviceValue(service, language:)`, passed in when the caller renders many weeks of one
    /// service.
    public func renderWeek(
        _ service: Service, grid: WeekGrid, weeks: [CivilDate], language: String, serviceFacts: TemplateFields? = nil,
        into buffer: inout [UInt8]
    ) throws {
        try renderWeek(
            service, grid: grid, weeks: weeks, language: language,
            values: ServiceWeekValues(self, service: service, language: language, facts: serviceFacts), into: &buffer)
    }

    /// `renderWeek` with the values the service's week pages share (`ServiceWeekValues`), made once per service.
    func renderWeek(
        _ service: Service, grid: WeekGrid, weeks: [CivilDate], language: String, values: ServiceWeekValues,
        into buffer: inout [UInt8]
    ) throws {
        let t = texts(language)
        let monday = grid.monday
        let sunday = monday.adding(days: 6)
        var week: TemplateFields = [
            "label": .string(
                t.format("week.range", ["from": values.labels(monday).long, "to": values.labels(sunday).long]))
        ]
        if let index = weeks.firstIndex(of: monday) {
            if index > 0 {
                week["previous"] = .object([
                    "url": .string(layout.url(.week(service.id, monday: weeks[index - 1]), language: language))
                ])
            }
            if index + 1 < weeks.count {
                week["next"] = .object([
                    "url": .string(layout.url(.week(service.id, monday: weeks[index + 1]), language: language))
                ])
            }
        }
        let shared = weekPageTexts[language] ?? WeekPageTexts(self, language: language)
        // A week page holds about a hundred free cells: their field names are shared and the few texts that
        // vary (free places) are formatted once per count.
        let placesTexts = values.placesTexts
        // A radio group is required when one of its radios is: the first free cell carries the attribute for all.
        var requiredGiven = false
        // Each day lists only the starts it has (docs/ARCHITECTURE.md §3): a day never shows "closed" at a time
        // another day has. On a phone one day shows at a time, chosen by its tab: the first with a free place.
        let initialDay =
            grid.days.firstIndex { $0.cells.contains { $0.state == .free } }
            ?? grid.days.firstIndex { !$0.cells.isEmpty } ?? 0
        // Every cell's time is one of the week's times, both in ascending order: each day walks them once
        // instead of formatting or hashing a time per cell.
        let times = grid.times.map { values.text(of: $0) }
        var hasFree = false
        var days: [TemplateValue] = []
        days.reserveCapacity(grid.days.count)
        for (index, day) in grid.days.enumerated() {
            let labels = values.labels(day.date)
            let long = labels.longValue
            var timeIndex = 0
            // The day's cells are rows of one array of values (`TemplateFields(names:values:start:)`): one
            // allocation a day instead of one per cell.
            var row: [TemplateValue] = []
            row.reserveCapacity(day.cells.count * Self.freeCellNames.count)
            var rowStarts: [(start: Int, free: Bool)] = []
            rowStarts.reserveCapacity(day.cells.count)
            for cell in day.cells {
                while timeIndex < grid.times.count, grid.times[timeIndex] < cell.slot.start { timeIndex += 1 }
                let time =
                    timeIndex < grid.times.count && grid.times[timeIndex] == cell.slot.start
                    ? times[timeIndex] : values.text(of: cell.slot.start)
                let position = WeekPageTexts.position(of: cell.state)
                let free = cell.state == .free
                rowStarts.append((row.count, free))
                row.append(shared.states[position])
                row.append(shared.texts[position])
                row.append(time)
                row.append(.bool(free))
                guard free else { continue }
                hasFree = true
                row.append(.string(String(cell.slot.startInstant)))
                row.append(long)
                row.append(placesTexts[min(cell.freeDesks, service.capacity)])
                row.append(.bool(!requiredGiven))
                requiredGiven = true
            }
            let cells = rowStarts.map { start, free -> TemplateValue in
                .object(
                    TemplateFields(names: free ? Self.freeCellNames : Self.cellNames, values: row, start: start))
            }
            var values: [TemplateValue] = [
                labels.short, long, labels.iso, .list(cells),
                .bool(!cells.isEmpty), .bool(index == initialDay),
            ]
            if let reason = day.closedReason {
                values.append(.string(closedText(reason, t)))
                days.append(.object(TemplateFields(names: Self.closedDayNames, values: values)))
            } else {
                days.append(.object(TemplateFields(names: Self.dayNames, values: values)))
            }
        }
        week["days"] = .list(days)
        week["places"] = .bool(service.capacity > 1)
        week["hasSlots"] = .bool(!grid.times.isEmpty)
        week["hasFree"] = .bool(hasFree)
        let context: TemplateFields = [
            "service": values.factsValue,
            "week": .object(week),
            "legend": shared.legend,
            "holdAction": .string(layout.api(.holds)),
            "noticeSeconds": .string(String(service.window.minimumNoticeMinutes * 60)),
            "holdInfo": shared.holdInfo,
            "steps": shared.steps,
        ]
        try page(
            "week",
            title: service.text(for: language).name + " – "
                + t.format("week.title", ["week": SiteLayout.weekName(monday)]),
            language: language, pageID: .week(service.id, monday: monday), context: context,
            breadcrumb: values.breadcrumb, into: &buffer)
    }

    /// The page served for an address that names no page.
    public func renderNotFound(language: String, into buffer: inout [UInt8]) throws {
        let t = texts(language)
        try page(
            "404", title: t.text("notFound.title"), language: language, pageID: .notFound, context: [:],
            breadcrumb: [
                (t.text("nav.home"), layout.url(.catalogue, language: language)), (t.text("notFound.title"), nil),
            ], into: &buffer)
    }

    /// The Designers Italia booking steps (Luogo → Data e orario → Dettagli → Richiedente → Riepilogo → Conferma),
    /// with the current one marked.
    public func steps(current: Int, language: String) -> TemplateValue {
        steps(current: current...current, language: language)
    }

    /// The step bar of a page that covers several steps at once (the form: details and applicant), all shown
    /// as current and none as done before the page is sent; the last is the one `aria-current` names.
    public func steps(current: ClosedRange<Int>, language: String) -> TemplateValue {
        let t = texts(language)
        return .list(
            ["where", "when", "details", "applicant", "summary", "confirmation"].enumerated().map { index, key in
                .object([
                    "number": .string(String(index + 1)), "name": .string(t.text("steps.\(key)")),
                    "current": .bool(current.contains(index)), "ariaCurrent": .bool(index == current.upperBound),
                    "done": .bool(index < current.lowerBound),
                ])
            })
    }

    /// The form to cancel a booking, and the one to print its receipt again.
    public func renderCancel(language: String, into buffer: inout [UInt8]) throws {
        let t = texts(language)
        try page(
            "cancel", title: t.text("cancelPage.title"), language: language, pageID: .cancel,
            context: cancelValues(language: language),
            breadcrumb: [
                (t.text("nav.home"), layout.url(.catalogue, language: language)), (t.text("cancelPage.title"), nil),
            ], into: &buffer)
    }

    /// Which of the cancel page's two look-up forms (booking code + codice fiscale) an answer fills in again.
    public enum LookupForm: String, Sendable {
        /// "Annulla la prenotazione" (ids prefixed `field-`).
        case cancel = "field"
        /// "Stampa di nuovo la ricevuta" (ids prefixed `receipt-`).
        case receipt = "receipt"
        /// "Sposta la prenotazione" (ids prefixed `move-`).
        case move = "move"
    }

    /// The cancel page's values: empty forms for `output/`; an endpoint answering a refused look-up passes the
    /// `form`, what was typed (`code`, `codice_fiscale`) and the error code per field.
    public func cancelValues(
        language: String, form: LookupForm? = nil, values: [String: String] = [:], errors: [String: String] = [:]
    ) -> TemplateFields {
        let t = texts(language)
        func lookup(_ which: LookupForm, action: EndpointRoute, submit: String) -> TemplateValue {
            let filled = which == form
            let prefix = which.rawValue
            let summary = FieldErrorSummary(fields: [
                FieldErrorSummary.Field(name: "code", id: "\(prefix)-code", label: t.text("cancelPage.code")),
                FieldErrorSummary.Field(
                    name: "codice_fiscale", id: "\(prefix)-cf", label: t.text("form.codiceFiscale.label")),
            ])
            func error(_ name: String) -> TemplateValue {
                .string(filled ? errors[name].map { FieldErrorSummary.message($0, t) } ?? "" : "")
            }
            return [
                "action": .string(layout.api(action)), "prefix": .string(prefix), "primary": .bool(which == .cancel),
                "submit": .string(t.text(submit)),
                "codeValue": .string(filled ? values["code"] ?? "" : ""),
                "cfValue": .string(filled ? values["codice_fiscale"] ?? "" : ""),
                "codeError": error("code"), "cfError": error("codice_fiscale"),
                "errorSummary": filled ? summary.value(errors: errors, t) : "",
            ]
        }
        return [
            "cancelForm": lookup(.cancel, action: .cancellations, submit: "cancelPage.submit"),
            "receiptForm": lookup(.receipt, action: .receipts, submit: "receipt.submit"),
            "moveForm": lookup(.move, action: .moves, submit: "move.submit"),
        ]
    }

    /// Citizens' sign-in, registration and forgotten-credentials forms, with the SPID/CIE buttons when configured.
    public func renderAccount(language: String, into buffer: inout [UInt8]) throws {
        let t = texts(language)
        try page(
            "account", title: t.text("account.title"), language: language, pageID: .account,
            context: accountValues(language: language),
            breadcrumb: [
                (t.text("nav.home"), layout.url(.catalogue, language: language)), (t.text("account.title"), nil),
            ], into: &buffer)
    }

    /// The registration form's fields, in page order: name, control id, label, type, length and autocomplete.
    static let registrationFields:
        [(name: String, id: String, labelKey: String, type: String, maxLength: Int, autocomplete: String)] = [
            ("nome", "reg-nome", "form.given.label", "text", 60, "given-name"),
            ("cognome", "reg-cognome", "form.family.label", "text", 60, "family-name"),
            ("codice_fiscale", "reg-cf", "form.codiceFiscale.label", "text", 16, "off"),
            ("email", "reg-email", "form.email.label", "email", 254, "email"),
            ("cellulare", "reg-cellulare", "form.phone.label", "tel", 20, "tel"),
        ]

    /// The account page's values. Empty forms for `output/`; an endpoint answering a refused registration passes
    /// what was typed (`registration`) and the error code per field (`registrationErrors`), so the form comes
    /// back filled in with each wrong field named; a refused sign-in passes the typed codice fiscale
    /// (`loginCodiceFiscale`, the password is never written back) and the message per field (`loginMessages`).
    public func accountValues(
        language: String, registration: [String: String] = [:], registrationErrors: [String: String] = [:],
        loginCodiceFiscale: String = "", loginMessages: [String: String] = [:]
    ) -> TemplateFields {
        let t = texts(language)
        let loginSummary = FieldErrorSummary(fields: [
            FieldErrorSummary.Field(name: "codice_fiscale", id: "login-cf", label: t.text("form.codiceFiscale.label")),
            FieldErrorSummary.Field(name: "password", id: "login-password", label: t.text("account.password")),
        ])
        let loginForm: TemplateValue = [
            "cfValue": .string(loginCodiceFiscale),
            "cfError": .string(loginMessages["codice_fiscale"] ?? ""),
            "passwordError": .string(loginMessages["password"] ?? ""),
            "errorSummary": loginSummary.value(messages: loginMessages, t),
        ]
        let fields = Self.registrationFields.map { field -> TemplateValue in
            .object([
                "name": .string(field.name), "id": .string(field.id),
                "label": .string(t.text(field.labelKey)), "type": .string(field.type),
                "maxLength": .string(String(field.maxLength)), "autocomplete": .string(field.autocomplete),
                "value": .string(registration[field.name] ?? ""),
                "error": .string(registrationErrors[field.name].map { FieldErrorSummary.message($0, t) } ?? ""),
            ])
        }
        let summary = FieldErrorSummary(
            fields: Self.registrationFields.map {
                FieldErrorSummary.Field(name: $0.name, id: $0.id, label: t.text($0.labelKey))
            })
        return [
            "registerFields": .list(fields), "loginForm": loginForm,
            "errorSummary": summary.value(errors: registrationErrors, t),
            "loginAction": .string(layout.api(.login)), "registerAction": .string(layout.api(.accounts)),
            "credentialsAction": .string(layout.api(.credentials)),
            "myBookingsAction": .string(layout.api(.myBookings)),
            "requireAccount": .bool(catalogue.configuration.booking.requireAccount),
            "certified": .bool(catalogue.configuration.identity != nil),
            "localAccounts": .bool(catalogue.configuration.identity?.localAccounts ?? true),
            "identityLogin": catalogue.configuration.identity?.loginButtons(
                returnPath: layout.api(.myBookings) + "?lang=\(language)",
                origin: catalogue.configuration.comune.origin) ?? "",
        ]
    }

    /// The operators' sign-in page's values: the empty form for `output/`; a refused sign-in passes the message
    /// for the token field (`tokenMessage`), named in the summary. The token is never written back.
    public func operatorLoginValues(language: String, tokenMessage: String? = nil) -> TemplateFields {
        let t = texts(language)
        let summary = FieldErrorSummary(fields: [
            FieldErrorSummary.Field(name: "token", id: "field-token", label: t.text("operator.token"))
        ])
        return [
            "loginAction": .string(layout.api(.operatorLogin)),
            "tokenError": .string(tokenMessage ?? ""),
            "errorSummary": summary.value(messages: tokenMessage.map { ["token": $0] } ?? [:], t),
        ]
    }

    /// The operators' sign-in form.
    public func renderOperatorLogin(language: String, into buffer: inout [UInt8]) throws {
        let t = texts(language)
        try page(
            "operator-login", title: t.text("operator.loginTitle"), language: language, pageID: .operatorLogin,
            context: operatorLoginValues(language: language),
            breadcrumb: [
                (t.text("nav.home"), layout.url(.catalogue, language: language)), (t.text("operator.loginTitle"), nil),
            ], into: &buffer)
    }

    func closedText(_ reason: ClosedReason, _ t: Translations) -> String {
        switch reason {
        case .holiday(let key): return t.text(key)
        case .patronSaint(let name): return t.format("closed.patron", ["name": name])
        case .closure(let reason): return reason
        }
    }

    static let cellNames = ["state", "text", "time", "free"]
    static let freeCellNames = ["state", "text", "time", "free", "start", "day", "places", "required"]
    static let dayNames = ["label", "long", "iso", "cells", "hasCells", "initial"]
    static let closedDayNames = dayNames + ["closed"]
}
