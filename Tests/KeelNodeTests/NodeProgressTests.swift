import Testing

@testable import KeelNode

@Suite("the node's progress line", .keepsArtifacts)
struct NodeProgressTests {
    func snapshot(_ height: UInt64, best: UInt64 = 0) -> NodeProgress.Snapshot {
        NodeProgress.Snapshot(height: height, bestPeerHeight: best, inbound: 1, outbound: 2, mempool: 4)
    }

    @Test("the first line 10 s after the start")
    func first() {
        var progress = NodeProgress(now: 0, height: 0)
        #expect(progress.step(snapshot(90), now: 9) == nil)
        #expect(progress.step(snapshot(100), now: 10) == "height 100 (+100 in 10s), peers 3 (2 out), mempool 4 tx")
        #expect(progress.step(snapshot(500), now: 69) == nil)
    }

    @Test("in step: one line a minute with the blocks gained; syncing: a line every 10 s with rate and ETA, then how long it took")
    func lines() {
        var progress = NodeProgress(now: 0, height: 100, firstAfter: 60)
        #expect(progress.step(snapshot(150), now: 30) == nil)
        #expect(progress.step(snapshot(700), now: 60) == "height 700 (+600 in 1m 0s), peers 3 (2 out), mempool 4 tx")
        // A peer far ahead: syncing.
        #expect(progress.step(snapshot(700, best: 3_700), now: 61) == "syncing from height 700 to 3,700; peers 3 (2 out)")
        #expect(progress.step(snapshot(1_200, best: 3_700), now: 66) == nil)
        #expect(progress.step(snapshot(1_700, best: 3_700), now: 71) == "syncing: 1,700/3,700 blocks (45%), 100 blocks/s, ETA 20s; peers 3 (2 out)")
        #expect(progress.step(snapshot(3_698, best: 3_700), now: 90) == "synced: height 3,698, 2,998 blocks in 29s; peers 3 (2 out)")
        #expect(progress.step(snapshot(3_710, best: 3_710), now: 120) == nil)
        #expect(progress.step(snapshot(3_720, best: 3_720), now: 150) == "height 3,720 (+22 in 1m 0s), peers 3 (2 out), mempool 4 tx")
    }
}
