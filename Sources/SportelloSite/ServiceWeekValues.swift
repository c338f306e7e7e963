import SportelloCore

/// The values every week page of one service shares in one language: the service's facts, the breadcrumb, the
/// texts of free places by count and each start time as text. A full build renders every published week of
/// every service; these are worked out once for all of them instead of once per page. One instance serves one
/// thread (the worker that renders the service), so its memo of times needs no lock.
final class ServiceWeekValues {
    /// `PageRenderer.serviceValue` of the service, shared by its service page and its week pages.
    let facts: TemplateFields
    /// `facts` as the template value a page holds.
    let factsValue: TemplateValue
    /// The week pages' breadcrumb: home, the offices above the service, the service, "when".
    let breadcrumb: TemplateValue
    /// "3 posti liberi" by count of free places (0…capacity); empty texts for a service of one desk.
    let placesTexts: [TemplateValue]
    /// Each start time's text ("08:30") by minutes after midnight, made the first time a week shows it.
    private var times: [TemplateValue?]
    /// The labels of each day a week shows, by day number: `Translations`' own memo takes a lock per label,
    /// which both workers contend for.
    private var days: [Int: DayLabels] = [:]
    private let texts: Translations

    /// A day's labels as a week page shows them.
    struct DayLabels {
        /// "martedì 3 marzo 2026"
        let long: String
        /// `long` as a template value.
        let longValue: TemplateValue
        /// "mar 3/3"
        let short: TemplateValue
        /// "2026-03-03"
        let iso: TemplateValue
    }

    /// The values of `service`'s week pages in `language`; `facts` is its `serviceValue` when already made.
    init(_ renderer: PageRenderer, service: Service, language: String, facts: TemplateFields? = nil) {
        let t = renderer.texts(language)
        let facts = facts ?? renderer.serviceValue(service, language: language)
        self.facts = facts
        factsValue = .object(facts)
        breadcrumb = PageRenderer.breadcrumbValue(
            renderer.breadcrumb(for: service, language: language, current: false) + [(t.text("steps.when"), nil)])
        placesTexts = (0...max(0, service.capacity)).map {
            service.capacity > 1 ? .string(t.format("state.places", ["count": String($0)])) : .string("")
        }
        times = Array(repeating: nil, count: 1441)
        texts = t
    }

    /// The labels of `date` in this language, made once per service. A day not seen yet brings the labels of
    /// the week from it on in one request to `Translations`' memo (a week page asks for its Monday first).
    func labels(_ date: CivilDate) -> DayLabels {
        if let known = days[date.dayNumber] { return known }
        var made: DayLabels?
        for (offset, labels) in texts.dateLabels(from: date, days: 7).enumerated() {
            let day = date.adding(days: offset)
            guard days[day.dayNumber] == nil else { continue }
            let value = DayLabels(
                long: labels.long, longValue: .string(labels.long), short: .string(labels.short),
                iso: .string(day.description))
            days[day.dayNumber] = value
            if offset == 0 { made = value }
        }
        if let made { return made }
        let long = texts.longDate(date)
        return DayLabels(
            long: long, longValue: .string(long), short: .string(texts.shortDate(date)), iso: .string(date.description))
    }

    /// The text of `time` ("08:30"), made once per service and language.
    func text(of time: LocalTime) -> TemplateValue {
        let minutes = time.minutes
        guard minutes >= 0 && minutes < times.count else { return .string(time.description) }
        if let known = times[minutes] { return known }
        let made = TemplateValue.string(time.description)
        times[minutes] = made
        return made
    }
}
