import KeelChain
import KeelCore
import KeelTesting
import Testing

@testable import KeelP2P

/// One peer's header sync against a real chain state: ours has 200 blocks, so a branch from
/// genesis needs 57 blocks' work (the tip's less 144) before any of its blocks is fetched.
@Suite("Header sync: checked headers, low-work branches followed without storing, then fetched", .ownThread, .keepsArtifacts)
struct HeaderSyncTests {
    static let now = UInt64.max / 2

    static func setUp() throws -> (ours: TestChain, branch: [BlockHeader]) {
        let ours = try TestChain()
        try ours.extend(200)
        let theirs = try TestChain()
        let branch = try theirs.extend(300).map(\.header)
        return (ours, branch)
    }

    static func process(_ sync: inout HeaderSync, _ headers: ArraySlice<BlockHeader>, full: Bool, _ chain: TestChain) -> HeaderSync.Outcome {
        sync.process(
            Array(headers), full: full, threshold: chain.chain.antiDoSWorkThreshold, now: now,
            checkFrom: chain.chain.headerCheck(extending:))
    }

    @Test("a deep branch is followed in presync, asked for again once past the threshold, and fetched with the work it proved")
    func presyncThenRedownload() throws {
        let (ours, branch) = try HeaderSyncTests.setUp()
        var sync = HeaderSync()
        guard case .presync(let last) = HeaderSyncTests.process(&sync, branch[0..<50], full: true, ours) else {
            Issue.record("a full low-work batch was not followed in presync")
            return
        }
        #expect(last == branch[49].hash)
        guard case .redownload = HeaderSyncTests.process(&sync, branch[50..<100], full: true, ours) else {
            Issue.record("passing the threshold did not start the redownload")
            return
        }
        guard case .fetch(let first, let more) = HeaderSyncTests.process(&sync, branch[0..<50], full: true, ours) else {
            Issue.record("the redownloaded batch was not fetched")
            return
        }
        #expect(more && first.count == 50)
        // Every block of the batch carries the work seen at the end of the presync, not its own.
        #expect(first.allSatisfy { $0.claimedWork == first[0].claimedWork && $0.claimedWork >= ours.chain.antiDoSWorkThreshold })
        guard case .fetch(let second, _) = HeaderSyncTests.process(&sync, branch[50..<100], full: true, ours),
            case .fetch(let third, _) = HeaderSyncTests.process(&sync, branch[100..<150], full: false, ours)
        else {
            Issue.record("the rest of the branch was not fetched")
            return
        }
        #expect(second.last?.hash == branch[99].hash && third.last?.hash == branch[149].hash)
    }

    @Test("a redownload that differs from what was seen starts over; a short low-work branch is ignored")
    func mismatchAndLowWork() throws {
        let (ours, branch) = try HeaderSyncTests.setUp()
        var sync = HeaderSync()
        _ = HeaderSyncTests.process(&sync, branch[0..<50], full: true, ours)
        _ = HeaderSyncTests.process(&sync, branch[50..<100], full: true, ours)
        guard case .mismatch = HeaderSyncTests.process(&sync, branch[0..<40], full: true, ours) else {
            Issue.record("a different batch was accepted in the redownload")
            return
        }
        var fresh = HeaderSync()
        guard case .lowWork = HeaderSyncTests.process(&fresh, branch[0..<30], full: false, ours) else {
            Issue.record("a complete branch with too little work was followed")
            return
        }
    }

    @Test("while a sync is followed further ahead, a low-work header announced off our chain is not fetched and does not end the sync")
    func lowWorkAnnouncementDuringSync() throws {
        let (ours, branch) = try HeaderSyncTests.setUp()
        var sync = HeaderSync()
        guard case .fetch = HeaderSyncTests.process(&sync, branch[0..<250], full: false, ours) else {
            Issue.record("the branch was not fetched")
            return
        }
        let stranger = try TestChain()
        let sibling = try stranger.extend(1)[0].header
        guard case .lowWork = HeaderSyncTests.process(&sync, [sibling][...], full: false, ours) else {
            Issue.record("a sibling of genesis announced during a sync was fetched")
            return
        }
        guard case .fetch(let next, _) = HeaderSyncTests.process(&sync, branch[250..<300], full: false, ours) else {
            Issue.record("the sync did not continue where it was")
            return
        }
        #expect(next.first?.height == 251)
    }

    @Test("a header with a self-declared target is invalid; headers that connect to nothing are reported, not followed")
    func invalidAndUnconnected() throws {
        let (ours, branch) = try HeaderSyncTests.setUp()
        var sync = HeaderSync()
        var forged = Array(branch[0..<5])
        forged[4].target = CompactTarget(bits: 0x2000_ffff)
        while !forged[4].target.isMet(by: forged[4].hash) { forged[4].nonce += 1 }
        guard case .invalid(let error) = HeaderSyncTests.process(&sync, forged[...], full: false, ours) else {
            Issue.record("a forged target was accepted")
            return
        }
        #expect(error.code == .difficulty)
        guard case .unconnected = HeaderSyncTests.process(&sync, branch[10..<20], full: false, ours) else {
            Issue.record("headers with an unknown parent were followed")
            return
        }
    }
}
