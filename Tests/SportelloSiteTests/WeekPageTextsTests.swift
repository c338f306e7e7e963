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
}
