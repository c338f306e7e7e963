import Testing

@testable import SportelloNotify

/// Program hand-overs during a busy spell of the writer: none for its first `holdSeconds`, then a few, all again
/// once the writer has been quiet for `quietSeconds`.
struct HandOverPacingTests {
    @Test func aBusySpellHoldsHandOversThenPacesThem() {
        var pacing = HandOverPacing()
        #expect(pacing.allowed(of: 8, busy: false, now: 100) == 8)
        // The spell begins: nothing starts, up to the hold's end.
        #expect(pacing.allowed(of: 8, busy: true, now: 101) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 101 + HandOverPacing.holdSeconds - 0.01) == 0)
        // A long spell is steady load, not a rush: mail goes on at the paced rate.
        #expect(pacing.allowed(of: 8, busy: true, now: 101 + HandOverPacing.holdSeconds) == 2)
        #expect(pacing.allowed(of: 8, busy: true, now: 200) == HandOverPacing.pacedHandOvers)
        #expect(pacing.allowed(of: 1, busy: true, now: 200) == 1)
    }

    @Test func aQuietMomentInsideASpellDoesNotEndIt() {
        var pacing = HandOverPacing()
        #expect(pacing.allowed(of: 8, busy: true, now: 0) == 0)
        // One slow flush empties a window: still the same spell, still held, its hold counted from its start.
        #expect(pacing.allowed(of: 8, busy: false, now: 1) == 0)
        #expect(pacing.allowed(of: 8, busy: false, now: 1 + HandOverPacing.quietSeconds - 0.01) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 1.3) == 0)
        #expect(pacing.allowed(of: 8, busy: false, now: 4.9) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 5) == 2)
    }

    @Test func aQuietSpanEndsTheSpellAndTheNextHoldsAgain() {
        var pacing = HandOverPacing()
        #expect(pacing.allowed(of: 8, busy: true, now: 0) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 10) == 2)
        #expect(pacing.allowed(of: 8, busy: false, now: 10.05) == 2)
        #expect(pacing.allowed(of: 8, busy: false, now: 10.05 + HandOverPacing.quietSeconds) == 8)
        #expect(pacing.allowed(of: 8, busy: false, now: 20) == 8)
        // A new spell is held from its own start, not from the first one's.
        #expect(pacing.allowed(of: 8, busy: true, now: 20.1) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 24) == 0)
    }
}
