import Crypto
import KeelChain
import KeelCore
import Logging
import Synchronization

/// Proof-of-work mining on worker threads.
///
/// Workers take the chain's cached block template, search nonces, check a stop flag and the
/// template's generation every `checkInterval` hashes, and submit found blocks through the
/// same path as blocks from peers. `start` and `stop` are idempotent and each returns only once
/// the state has changed: `stop` waits for every worker thread to exit.
public final class Miner: Sendable {
    /// Hashes between checks of the stop flag and template staleness (about 2 ms at 1 MH/s).
    public static let checkInterval = 2048

    /// What the miner is doing.
    public struct Status: Sendable, Equatable {
        /// Whether workers are running.
        public let active: Bool
        /// Worker threads.
        public let threads: Int
        /// Who the coinbase pays.
        public let payTo: AddressHash?

        /// Memberwise; the hash count is `hashesTotal`, read on its own (it changes every microsecond).
        public init(active: Bool, threads: Int, payTo: AddressHash?) {
            self.active = active
            self.threads = threads
            self.payTo = payTo
        }
    }

    private final class Run: Sendable {
        let stop = Atomic<Bool>(false)
        let workers = Mutex<[WorkerThread]>([])
        let threads: Int
        let payTo: AddressHash
        init(threads: Int, payTo: AddressHash) {
            self.threads = threads
            self.payTo = payTo
        }
    }

    private let chain: ChainState
    private let clock: any WallClock
    private let logger: Logger
    private let current = Mutex<Run?>(nil)
    private let hashCounter = Atomic<UInt64>(0)
    private let blockCounter = Atomic<UInt64>(0)

    /// A miner for `chain`.
    public init(chain: ChainState, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "keel.miner")) {
        self.chain = chain
        self.clock = clock
        self.logger = logger
    }

    /// Hashes tried since creation.
    public var hashesTotal: UInt64 { hashCounter.load(ordering: .relaxed) }
    /// Blocks this miner found that were accepted.
    public var blocksFound: UInt64 { blockCounter.load(ordering: .relaxed) }

    /// The current status.
    public var status: Status {
        current.withLock { run in Status(active: run != nil, threads: run?.threads ?? 0, payTo: run?.payTo) }
    }

    /// Starts `threads` workers paying `payTo`. Already running with the same settings: no
    /// change. Running with other settings: restarts with the new ones.
    public func start(threads: Int, payTo: AddressHash) {
        precondition(threads > 0, "at least one mining thread")
        current.withLock { run in
            if let existing = run {
                if existing.threads == threads && existing.payTo == payTo { return }
                Miner.halt(existing)
            }
            let next = Run(threads: threads, payTo: payTo)
            let started = (0..<threads).map { index in WorkerThread(name: "keel-miner-\(index)") { [self] in work(run: next, index: index) } }
            next.workers.withLock { $0 = started }
            run = next
            logger.info("mining started", metadata: ["threads": "\(threads)"])
        }
    }

    /// Stops every worker and returns once all have exited; returns the seconds it took.
    @discardableResult
    public func stop() -> Double {
        let started = MonotonicTime.now()
        let stopped = current.withLock { run -> Bool in
            guard let existing = run else { return false }
            Miner.halt(existing)
            run = nil
            return true
        }
        let seconds = MonotonicTime.seconds(since: started)
        if stopped { logger.info("mining stopped", metadata: ["seconds": "\(seconds)"]) }
        return seconds
    }

    /// Raises the stop flag and joins every worker: when this returns, the OS threads are gone.
    private static func halt(_ run: Run) {
        run.stop.store(true, ordering: .relaxed)
        for worker in run.workers.withLock({ $0 }) { worker.join() }
    }

    private func work(run: Run, index: Int) {
        var generator = SystemRandomNumberGenerator()
        while !run.stop.load(ordering: .relaxed) {
            let template: BlockTemplate
            do { template = try chain.blockTemplate(payTo: run.payTo) } catch {
                // Only a failed read of the stored chain gets here; the node's storage checks
                // report it. Stop this worker rather than hash on a template we cannot trust.
                logger.error("cannot build a block template", metadata: ["error": "\(error)"])
                return
            }
            let timestamp = max(clock.nowMilliseconds(), template.minimumTimestamp)
            var header = template.header
            header.timestamp = timestamp
            guard let target = header.target.target else {
                logger.error("template has an invalid target", metadata: ["bits": "\(header.target)"])
                return
            }
            let limit = target.bigEndianBytes
            var bytes = header.encoded
            var nonce = generator.next() as UInt64
            var found: UInt64?
            search: while !run.stop.load(ordering: .relaxed) {
                for tried in 1...Miner.checkInterval {
                    if Miner.meets(&bytes, nonce: nonce, limit: limit) {
                        found = nonce
                        hashCounter.add(UInt64(tried), ordering: .relaxed)
                        break search
                    }
                    nonce &+= 1
                }
                hashCounter.add(UInt64(Miner.checkInterval), ordering: .relaxed)
                if chain.templateGeneration != template.generation { break }
            }
            guard let nonce = found else { continue }
            do {
                let result = try chain.submit(template.block(nonce: nonce, timestamp: timestamp), origin: .miner)
                if result.status == .connected { blockCounter.add(1, ordering: .relaxed) }
            } catch {
                if run.stop.load(ordering: .relaxed) { return }
                logger.warning("mined block refused", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Patches `nonce` into the encoded header and checks SHA-256d against `limit` (big-endian).
    static func meets(_ bytes: inout [UInt8], nonce: UInt64, limit: [UInt8]) -> Bool {
        var n = nonce.littleEndian
        withUnsafeBytes(of: &n) { raw in
            for i in 0..<8 { bytes[BlockHeader.nonceOffset + i] = raw[i] }
        }
        var inner = SHA256()
        bytes.withUnsafeBytes { inner.update(bufferPointer: $0) }
        let first = inner.finalize()
        var outer = SHA256()
        first.withUnsafeBytes { outer.update(bufferPointer: $0) }
        let second = outer.finalize()
        return second.withUnsafeBytes { hash in
            for i in 0..<32 where hash[i] != limit[i] { return hash[i] < limit[i] }
            return true
        }
    }
}
