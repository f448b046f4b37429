import Dispatch
import Synchronization

/// A batch of signature checks running on other threads while the caller goes on: the importer
/// validates the next block's inputs while this block's signatures are checked, instead of
/// waiting with the cores busy and its own work undone.
public final class SignatureCheck: Sendable {
    /// The first failing job's index (nil when all verify) and the seconds the checks took.
    public struct Outcome: Sendable {
        /// Index of the first failing job, as `SignatureVerifier.verify` returns it.
        public let failure: Int?
        /// Wall-clock seconds from the start of the checks to their end.
        public let seconds: Double
    }

    private let outcome = Mutex<Outcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// Starts checking `jobs` with `verifier`. A batch too small to go parallel is checked at
    /// once on the calling thread: handing it over would cost more than it saves.
    public init(_ jobs: [SignatureJob], verifier: SignatureVerifier) {
        guard verifier.mode(for: jobs.count) == .parallel else {
            let started = MonotonicTime.now()
            let failure = verifier.verify(jobs)
            outcome.withLock { $0 = Outcome(failure: failure, seconds: MonotonicTime.seconds(since: started)) }
            done.signal()
            return
        }
        DispatchQueue.global().async { [self] in
            let started = MonotonicTime.now()
            let failure = verifier.verify(jobs)
            outcome.withLock { $0 = Outcome(failure: failure, seconds: MonotonicTime.seconds(since: started)) }
            done.signal()
        }
    }

    /// Blocks until the checks are done; may be called more than once.
    public func wait() -> Outcome {
        if let known = outcome.withLock({ $0 }) { return known }
        done.wait()
        // Signal again, so a later wait (or another waiter) returns too.
        done.signal()
        return outcome.withLock { $0! }
    }
}
