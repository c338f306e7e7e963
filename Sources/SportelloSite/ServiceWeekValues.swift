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
