import KeelNode
import KeelTesting
import Testing

@Suite("which blocks time propagation", .ownThread, .keepsArtifacts)
struct PropagationWindowTests {
    @Test("a node in step times new blocks; an initial sync times none, not even its last blocks; in step again, new ones are timed")
    func window() {
        let window = PropagationWindow(start: 1_000)
        // Alone, or with no peer ahead, from start-up: a block mined after it is timed.
        #expect(window.admits(height: 1, timestamp: 1_500, best: 0, now: 1_600))
        // Peers 3,000 ahead: a sync, nothing timed...
        #expect(!window.admits(height: 2, timestamp: 100, best: 3_000, now: 2_000))
        #expect(!window.admits(height: 2_998, timestamp: 200, best: 3_000, now: 9_000))
        // ...not even the block that catches up (mined long before), nor one mined before we were in step.
        #expect(!window.admits(height: 3_000, timestamp: 300, best: 3_000, now: 9_100))
        #expect(!window.admits(height: 3_001, timestamp: 8_000, best: 3_001, now: 9_200))
        // Mined after that: news at the tip.
        #expect(window.admits(height: 3_002, timestamp: 9_300, best: 3_002, now: 9_400))
        // A few behind still counts as in step (quick blocks announced before we connect them)...
        #expect(window.admits(height: 3_003, timestamp: 9_500, best: 3_006, now: 9_600))
        // ...more does not, and the way back in times nothing mined before it.
        #expect(!window.admits(height: 3_004, timestamp: 9_700, best: 3_100, now: 9_800))
        #expect(!window.admits(height: 3_095, timestamp: 9_750, best: 3_100, now: 9_900))
        #expect(window.admits(height: 3_101, timestamp: 9_950, best: 3_101, now: 10_000))
    }
}
