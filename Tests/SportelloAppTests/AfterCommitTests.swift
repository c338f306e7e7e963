import SportelloCore
import SportelloSite
import Testing

@testable import SportelloApp
@testable import SportelloStore

/// The one after-commit place turns a change into pages: a slot's week, service page and the catalogue; every
/// week a block covers.
@Suite struct AfterCommitTests {
    @Test func aSlotTouchesItsWeekItsServiceAndTheCatalogue() throws {
        let start = rome("2026-11-25", "09:00")
        let monday = try #require(CivilDate(iso: "2026-11-23"))
        let pages = AfterCommit.pages(of: StoreChange(slots: [SlotRef(serviceID: "residenza", start: start)]))
        #expect(pages == [.week("residenza", monday: monday), .service("residenza"), .catalogue])
        #expect(AfterCommit.pages(of: .none).isEmpty)
    }

    @Test func aBlockTouchesEveryWeekItCovers() {
        let block = Block(
            id: 1, serviceID: "residenza", startsAt: rome("2026-11-27", "08:00"), endsAt: rome("2026-12-09", "18:00"),
            desks: 1, reason: nil, createdBy: "operator:test")
        let weeks = AfterCommit.pages(of: StoreChange(blocks: [block])).compactMap { page -> String? in
            if case .week(_, let monday) = page { return monday.description }
            return nil
        }
        #expect(Set(weeks) == ["2026-11-23", "2026-11-30", "2026-12-07"])
    }
}
