import Foundation
import SportelloCore
import Testing

@testable import SportelloSite

@Suite struct WeekPageTextsTests {
    /// The values built once per language are the ones a week page built per page before: each state's name and
    /// text in `CellState.allCases` order, the legend of every state and the chosen cell, the step bar.
    @Test func eachLanguageHasItsStatesLegendAndSteps() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let renderer = try demoPublisher(output: output).renderer
        for language in renderer.languages {
            let t = renderer.texts(language)
            let shared = WeekPageTexts(renderer, language: language)
            #expect(shared.states == CellState.allCases.map { .string($0.rawValue) })
            #expect(shared.texts == CellState.allCases.map { .string(t.text("state.\($0.rawValue)")) })
            guard case .list(let legend) = shared.legend else {
                Issue.record("the legend is a list")
                continue
            }
            #expect(legend.count == CellState.allCases.count + 1)
            #expect(legend.first?["text"] == .string(t.text("state.free")))
            #expect(legend.last?["state"] == "selected")
            #expect(shared.steps == renderer.steps(current: 1, language: language))
            for state in CellState.allCases {
                #expect(shared.states[WeekPageTexts.position(of: state)] == .string(state.rawValue))
            }
        }
    }

    /// A run of date labels fetched at once equals the labels made one by one, whether none, some or all of its
    /// days were known before, across a month's and a year's end.
    @Test func dateLabelsOfARunEqualTheLabelsOfEachDay() throws {
        let folder = repositoryRoot.appendingPathComponent("site-templates/i18n").path
        for language in ["it", "en"] {
            let fresh = try Translations.load(directory: folder, language: language)
            let other = try Translations.load(directory: folder, language: language)
            let first = try #require(CivilDate(year: 2026, month: 12, day: 28))
            _ = fresh.longDate(first.adding(days: 2))
            let run = fresh.dateLabels(from: first, days: 7)
            #expect(run.count == 7)
            for (offset, labels) in run.enumerated() {
                let day = first.adding(days: offset)
                #expect(labels.long == other.longDate(day) && labels.short == other.shortDate(day))
            }
            #expect(run.map(\.long) == fresh.dateLabels(from: first, days: 7).map(\.long))
            #expect(fresh.dateLabels(from: first, days: 0).isEmpty)
            #expect(other.longDate(first.adding(days: 4)).contains("2027"))
        }
    }
}
