import KeelChain
import KeelClient
import KeelCore
import KeelP2P
import Testing

@testable import KeelStorage

/// One error model: every target's errors render the same way and say how a command ends.
@Suite("one error model", .keepsArtifacts)
struct ErrorModelTests {
    @Test("code, message, cause and hint render as one line; exit statuses say whether a restart can help")
    func rendering() {
        let locked = StorageError(.locked, "already running (pid 42)", cause: RocksDBStatus(text: "IO error: lock hold by current process"))
        #expect(locked.rendered == "storage_locked: already running (pid 42) (RocksDB: IO error: lock hold by current process)")
        #expect(locked.exitStatus == 2)
        #expect(StorageError(.io, "a write failed").exitStatus == 1)
        #expect(ChainError(.inconsistent, "the height index has no entry at height 812").exitStatus == 2)
        #expect(ChainError(.notFound, "no such block").exitStatus == 1)
        #expect(ClientError(.transport, "cannot reach the node").exitStatus == 3)
        #expect(ClientError(.api, "refused", apiCode: "bad_address").exitStatus == 1)
        #expect(ClientError(.configuration, "no token").exitStatus == 2)
        #expect(P2PError(.listen, "cannot listen").rendered == "p2p_listen_failed: cannot listen")
        // A consensus verdict already leads with its code.
        let verdict = ConsensusError(.proofOfWork, "hash above target")
        #expect(verdict.rendered == "bad_proof_of_work: hash above target")
        // Through the protocol, whatever the type.
        let any: [any KeelError] = [locked, verdict, ChainError(.lowWork, "too little work")]
        #expect(any.map(\.codeName) == ["storage_locked", "bad_proof_of_work", "low_work"])
        // Codes are values: new ones never break a switch over the known ones, and they compare.
        #expect(ChainError.Code(rawValue: "chain_inconsistent") == .inconsistent)
    }
}
