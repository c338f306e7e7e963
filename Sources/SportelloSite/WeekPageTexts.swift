import SportelloCore

/// The values of a week page that are the same on every week page of a language: the cells' state names and
/// texts, the legend, the step bar and the hold notice. Built once per language when the renderer is made,
/// instead of per page (a build renders 13 weeks of every service in every language).
struct WeekPageTexts: Sendable {
    /// Each state's name (its CSS class), in `CellState.allCases` order.
    let states: [TemplateValue]
    /// Each state's text ("Libero", "Prenotato"), in `CellState.allCases` order.
    let texts: [TemplateValue]
    /// The legend of the states, and of the chosen cell.
    let legend: TemplateValue
    /// The step bar with "when" current.
    let steps: TemplateValue
    /// How long a chosen slot is held.
    let holdInfo: TemplateValue

    /// The values of `language`'s week pages, from its texts and the site's configuration.
    init(_ renderer: PageRenderer, language: String) {
        let t = renderer.texts(language)
        let stateTexts = CellState.allCases.map { t.text("state.\($0.rawValue)") }
        states = CellState.allCases.map { .string($0.rawValue) }
        texts = stateTexts.map { .string($0) }
        legend = .list(
            zip(CellState.allCases, stateTexts).map { state, text in
                .object([
                    "state": .string(state.rawValue), "text": .string(text),
                    "help": .string(t.text("legend.\(state.rawValue)")),
                ])
            } + [
                .object([
                    "state": "selected", "text": .string(t.text("grid.selected")),
                    "help": .string(t.text("grid.selectedHelp")),
                ])
            ])
        steps = renderer.steps(current: 1, language: language)
        let holdMinutes = renderer.catalogue.configuration.booking.holdMinutes
        holdInfo = .string(t.format("week.holdInfo", count: holdMinutes, ["minutes": String(holdMinutes)]))
    }

    /// The position of `state` in `CellState.allCases`, where its name and text are.
    static func position(of state: CellState) -> Int { CellState.allCases.firstIndex(of: state) ?? 0 }
}
