import Testing

@testable import SportelloNotify

/// Program hand-overs during a busy spell of the writer: none for its first `holdSeconds`, then a few, all again
/// once the writer is quiet.
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

    @Test func aQuietWindowEndsTheSpellAndTheNextHoldsAgain() {
        var pacing = HandOverPacing()
        #expect(pacing.allowed(of: 8, busy: true, now: 0) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 10) == 2)
        #expect(pacing.allowed(of: 8, busy: false, now: 10.05) == 8)
        // A new spell is held from its own start, not from the first one's.
        #expect(pacing.allowed(of: 8, busy: true, now: 10.1) == 0)
        #expect(pacing.allowed(of: 8, busy: true, now: 14) == 0)
    }
}
