import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One Ed25519 check.
public struct SignatureJob: Sendable {
    /// 32-byte public key.
    public let publicKey: [UInt8]
    /// 64-byte signature.
    public let signature: [UInt8]
    /// The signed message (a signature hash).
    public let message: [UInt8]

    /// The three parts as Ed25519 takes them: 32-byte key, 64-byte signature, the signed bytes.
    public init(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) {
        self.publicKey = publicKey
        self.signature = signature
        self.message = message
    }

    /// Runs the check.
    public func verify() -> Bool { Ed25519.verify(signature: signature, message: message, publicKey: publicKey) }
}

/// Checks a batch of signatures sequentially or spread over all cores.
///
/// Both modes return the index of the *first* failing job (or nil), so the verdict and the
/// reported failure are the same whichever mode ran.
public struct SignatureVerifier: Sendable {
    /// How a batch was (or should be) checked.
    public enum Mode: String, Sendable, CaseIterable {
        /// One thread, in order.
        case sequential
        /// Chunks over all cores.
        case parallel
    }

    /// Batches with at least this many jobs go parallel. `make bench` measures the crossover
    /// (README "Performance": on 2 cores parallel is 1.5x faster from 8 inputs, about 1.1x at
    /// 4); below it thread hand-off costs about what it saves.
    public static let defaultParallelThreshold = 8

    /// The threshold in use.
    public let parallelThreshold: Int
    /// Worker count for parallel mode.
    public let workers: Int
    /// Called after each batch with its mode, size and duration (metrics hook).
    public let observer: (@Sendable (Mode, Int, Double) -> Void)?

    /// `workers` below 1 counts as 1; batches under `parallelThreshold` run on the caller's thread.
    public init(
        parallelThreshold: Int = SignatureVerifier.defaultParallelThreshold,
        workers: Int = SignatureVerifier.coreCount,
        observer: (@Sendable (Mode, Int, Double) -> Void)? = nil
    ) {
        self.parallelThreshold = parallelThreshold
        self.workers = max(1, workers)
        self.observer = observer
    }

    /// The number of online cores.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The mode chosen for a batch of `count` jobs.
    public func mode(for count: Int) -> Mode { count >= parallelThreshold && workers > 1 ? .parallel : .sequential }

    /// Checks `jobs` in the mode chosen by size (or `mode` when given); returns the first
    /// failing index or nil when all verify.
    public func verify(_ jobs: [SignatureJob], mode forced: Mode? = nil) -> Int? {
        let mode = forced ?? self.mode(for: jobs.count)
        let started = MonotonicTime.now()
        let result = mode == .parallel ? verifyParallel(jobs) : verifySequential(jobs)
        observer?(mode, jobs.count, MonotonicTime.seconds(since: started))
        return result
    }

    func verifySequential(_ jobs: [SignatureJob]) -> Int? {
        for (index, job) in jobs.enumerated() where !job.verify() { return index }
        return nil
    }

    func verifyParallel(_ jobs: [SignatureJob]) -> Int? {
        guard !jobs.isEmpty else { return nil }
        let firstFailure = Atomic<Int>(Int.max)
        // Small chunks: a block's checks now share the cores with the next block's validation
        // and the last block's write, and with four chunks a worker the last chunk left one
        // core idle for an eighth of a block (issue 17).
        let chunkCount = min(jobs.count, workers * 16)
        let chunkSize = (jobs.count + chunkCount - 1) / chunkCount
        do {
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let start = chunk * chunkSize
                let end = min(start + chunkSize, jobs.count)
                guard start < end else { return }
                for index in start..<end {
                    // A failure already found earlier in the batch makes later indices moot.
                    if firstFailure.load(ordering: .relaxed) < index { return }
                    if !jobs[index].verify() {
                        var current = firstFailure.load(ordering: .relaxed)
                        while index < current {
                            let (exchanged, original) = firstFailure.compareExchange(expected: current, desired: index, ordering: .relaxed)
                            if exchanged { break }
                            current = original
                        }
                        return
                    }
                }
            }
        }
        let found = firstFailure.load(ordering: .relaxed)
        return found == Int.max ? nil : found
    }
}
