import CSodium
import Crypto
import Foundation
import KeelCore

/// Ed25519 verification: Keel's verifier on one core against libsodium called from C and
/// `openssl speed`; swift-crypto shown for the choice; parallel speed-up and threshold.
enum SignatureBench {
    static func jobs(_ count: Int) -> [SignatureJob] {
        let keys = (0..<64).map { _ in SigningKey() }
        let sets = keys.map { key -> SignatureJob in
            let message = (0..<32).map { _ in UInt8.random(in: 0...255) }
            return SignatureJob(publicKey: key.publicKey, signature: key.sign(message), message: message)
        }
        return (0..<count).map { sets[$0 % sets.count] }
    }

    static func keelRate(_ jobs: [SignatureJob]) -> Double {
        let verifier = SignatureVerifier()
        var failure: Int?
        let seconds = Measure.seconds { failure = verifier.verify(jobs, mode: .sequential) }
        precondition(failure == nil, "benchmark signatures must verify")
        return Double(jobs.count) / seconds
    }

    /// libsodium called directly, no Keel code in the loop: the in-process reference.
    static func sodiumDirectRate(_ jobs: [SignatureJob]) -> Double {
        _ = sodium_init()
        var ok = 0
        let seconds = Measure.seconds {
            for job in jobs {
                job.signature.withUnsafeBufferPointer { sig in
                    job.message.withUnsafeBufferPointer { msg in
                        job.publicKey.withUnsafeBufferPointer { pk in
                            if crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(msg.count), pk.baseAddress!) == 0 { ok += 1 }
                        }
                    }
                }
            }
        }
        precondition(ok == jobs.count)
        return Double(jobs.count) / seconds
    }

    static func swiftCryptoRate(_ jobs: [SignatureJob]) -> Double {
        let keys = jobs.prefix(64).map { try! Curve25519.Signing.PublicKey(rawRepresentation: $0.publicKey) }
        var ok = 0
        let seconds = Measure.seconds {
            for (i, job) in jobs.enumerated() where keys[i % 64].isValidSignature(job.signature, for: job.message) { ok += 1 }
        }
        precondition(ok == jobs.count)
        return Double(jobs.count) / seconds
    }

    static func sodiumCRate(_ count: Int) -> Double? {
        guard let path = ProcessInfo.processInfo.environment["KEEL_SODIUM_REF"] else { return nil }
        return Double(Measure.shell("\(path) \(count)").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func opensslRate() -> Double? {
        let output = Measure.shell("openssl speed -seconds 2 ed25519 2>/dev/null")
        guard let line = output.split(separator: "\n").last(where: { $0.contains("Ed25519") }),
            let last = line.split(separator: " ").last
        else { return nil }
        return Double(last)
    }

    static func run() async {
        // Short runs, interleaved and paired: frequency and neighbours on a shared machine move
        // both sides of a pair alike, so the median of the paired ratios is the figure to quote.
        let count = 5_000
        let batch = jobs(count)
        var keel = [Double](), sodium = [Double](), ratios = [Double](), swiftCrypto = [Double]()
        var direct = [Double](), directRatios = [Double]()
        for round in 0..<11 {
            let k = keelRate(batch)
            keel.append(k)
            let d = sodiumDirectRate(batch)
            direct.append(d)
            directRatios.append(k / d)
            if let rate = sodiumCRate(count) {
                sodium.append(rate)
                ratios.append(k / rate)
            }
            if round % 2 == 0 { swiftCrypto.append(swiftCryptoRate(Array(batch.prefix(2_000)))) }
        }
        let openssl = opensslRate()
        let k = Measure.median(keel), s = Measure.median(sodium), c = Measure.median(swiftCrypto)
        print("## Ed25519 verification, one core (11 interleaved rounds, median verifications/s)")
        print("keel verifier (libsodium)     \(Int(k))")
        print("libsodium direct, in-process  \(Int(Measure.median(direct)))")
        print("libsodium from C (reference)  \(sodium.isEmpty ? "n/a (run through make bench)" : String(Int(s)))")
        print("openssl speed ed25519         \(openssl.map { String(Int($0)) } ?? "n/a")")
        print("swift-crypto                  \(Int(c))")
        if !ratios.isEmpty {
            print(
                "ratio keel / libsodium        median \(Measure.format(Measure.median(ratios), 2)) of paired rounds (range \(Measure.format(ratios.min()!, 2))-\(Measure.format(ratios.max()!, 2)); target >= 1.0)"
            )
        }
        print(
            "ratio keel / libsodium direct median \(Measure.format(Measure.median(directRatios), 2)) (range \(Measure.format(directRatios.min()!, 2))-\(Measure.format(directRatios.max()!, 2))): the cost of Keel's wrapper"
        )
        if let openssl { print("ratio keel / openssl          \(Measure.format(k / openssl, 2))") }
        print("ratio swift-crypto / keel     \(Measure.format(c / k, 2))  (why verification uses libsodium)")
        print("")

        let cores = SignatureVerifier.coreCount
        let verifier = SignatureVerifier()
        let block = jobs(2_000)
        var sequential = [Double](), parallel = [Double]()
        for _ in 0..<7 {
            sequential.append(Measure.seconds { _ = verifier.verify(block, mode: .sequential) })
            parallel.append(Measure.seconds { _ = verifier.verify(block, mode: .parallel) })
        }
        let speedup = Measure.median(sequential) / Measure.median(parallel)
        print("## Parallel verification of a 2,000-input block (median of 7)")
        print("sequential \(Measure.format(Measure.median(sequential) * 1000, 2)) ms, parallel \(Measure.format(Measure.median(parallel) * 1000, 2)) ms")
        print("speed-up \(Measure.format(speedup, 2)) on \(cores) cores = \(Measure.format(speedup / Double(cores), 2)) of the core count (target >= 0.90)")
        print("")

        print("## Parallel threshold: sequential vs parallel by input count (median of 41, microseconds)")
        var crossover: Int?
        for n in [1, 2, 4, 8, 12, 16, 24, 32, 64, 128] {
            let work = jobs(n)
            var seq = [Double](), par = [Double]()
            for _ in 0..<41 {
                seq.append(Measure.seconds { _ = verifier.verify(work, mode: .sequential) })
                par.append(Measure.seconds { _ = verifier.verify(work, mode: .parallel) })
            }
            let ms = Measure.median(seq), mp = Measure.median(par)
            if crossover == nil && mp < ms * 0.8 { crossover = n }
            print(
                "inputs \(String(n).padding(toLength: 4, withPad: " ", startingAt: 0)) sequential \(Measure.format(ms * 1e6)) parallel \(Measure.format(mp * 1e6)) ratio \(Measure.format(ms / mp, 2))"
            )
        }
        print(
            "parallel is at least 20% faster from \(crossover.map(String.init) ?? "never") inputs; the threshold in use is \(SignatureVerifier.defaultParallelThreshold)"
        )
        print("")
    }
}
