import KeelCore
import KeelTesting
import Synchronization
import Testing

@Suite("Signature verification", .ownThread)
struct SignatureVerifierTests {
    static let keys = (0..<8).map { _ in SigningKey() }

    func jobs(count: Int, rng: inout SeededGenerator) -> [SignatureJob] {
        (0..<count).map { _ in
            let key = Self.keys[Int.random(in: 0..<Self.keys.count, using: &rng)]
            let message = rng.bytes(32)
            return SignatureJob(publicKey: key.publicKey, signature: key.sign(message), message: message)
        }
    }

    @Test("parallel and sequential agree on random blocks with one bad signature at a random place", arguments: [11, 12, 13] as [UInt64])
    func agree(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let verifier = SignatureVerifier(workers: 4)
        for _ in 0..<8 {
            var batch = jobs(count: Int.random(in: 1...300, using: &rng), rng: &rng)
            #expect(verifier.verify(batch, mode: .sequential) == nil)
            #expect(verifier.verify(batch, mode: .parallel) == nil)
            let bad = Int.random(in: 0..<batch.count, using: &rng)
            var signature = batch[bad].signature
            signature[Int.random(in: 0..<64, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            batch[bad] = SignatureJob(publicKey: batch[bad].publicKey, signature: signature, message: batch[bad].message)
            let sequential = verifier.verify(batch, mode: .sequential)
            let parallel = verifier.verify(batch, mode: .parallel)
            #expect(sequential == bad)
            #expect(parallel == sequential)
        }
    }

    @Test("with several bad signatures both modes report the first")
    func firstFailure() {
        var rng = SeededGenerator(seed: 99)
        var batch = jobs(count: 200, rng: &rng)
        for index in [150, 40, 199] {
            batch[index] = SignatureJob(publicKey: batch[index].publicKey, signature: [UInt8](repeating: 1, count: 64), message: batch[index].message)
        }
        let verifier = SignatureVerifier(workers: 4)
        #expect(verifier.verify(batch, mode: .sequential) == 40)
        #expect(verifier.verify(batch, mode: .parallel) == 40)
    }

    @Test("the mode follows the input-count threshold and the observer sees it")
    func threshold() {
        let seen = ModeLog()
        let verifier = SignatureVerifier(parallelThreshold: 16, workers: 2) { mode, count, _ in seen.add(mode, count) }
        var rng = SeededGenerator(seed: 1)
        _ = verifier.verify(jobs(count: 15, rng: &rng))
        _ = verifier.verify(jobs(count: 16, rng: &rng))
        #expect(seen.entries == ["sequential:15", "parallel:16"])
        #expect(SignatureVerifier(workers: 1).mode(for: 10_000) == .sequential)
    }

    @Test("malformed keys and signatures are rejected, not trapped")
    func malformed() {
        #expect(!Ed25519.verify(signature: [1, 2, 3], message: [], publicKey: [UInt8](repeating: 0, count: 32)))
        #expect(!Ed25519.verify(signature: [UInt8](repeating: 0, count: 64), message: [], publicKey: [1]))
        #expect(!Ed25519.verify(signature: [UInt8](repeating: 0, count: 64), message: [], publicKey: [UInt8](repeating: 0, count: 32)))
    }
}

final class ModeLog: Sendable {
    private let store = Mutex<[String]>([])
    func add(_ mode: SignatureVerifier.Mode, _ count: Int) { store.withLock { $0.append("\(mode.rawValue):\(count)") } }
    var entries: [String] { store.withLock { $0 } }
}
