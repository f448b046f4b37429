/// The lowest and highest of each memory part (`StatusPage.memoryParts`: RSS, RocksDB, chain,
/// peers, allocator, unaccounted) over consecutive readings. The sampler keeps one per
/// `MemorySpan.blockSize` readings as they arrive, so the status page draws a window of 100,000
/// readings from 1,563 spans instead of reading every reading (`keel-bench statuspage`).
public struct MemorySpan: Sendable, Equatable {
    /// Readings per span the sampler keeps.
    public static let blockSize = 64
    /// Parts per span.
    static let parts = 6

    /// Unix seconds of the span's first and last reading.
    public var firstTime: Double
    /// Unix seconds of the span's last reading.
    public var lastTime: Double
    /// Per part, the lowest value in bytes (NaN where no reading had it).
    public var low: [Double]
    /// Per part, the highest value in bytes (NaN where no reading had it).
    public var high: [Double]

    /// The span of one reading.
    public init(_ reading: Sampler.Reading) {
        firstTime = reading.time
        lastTime = reading.time
        let m = reading.memory
        let values = [reading.rss, m?.rocksdb, m?.chain, m?.peers, m?.allocator, m?.unaccounted].map { $0 ?? .nan }
        low = values
        high = values
    }

    /// Widens this span by `other` (which comes after it).
    public mutating func merge(_ other: MemorySpan) {
        lastTime = other.lastTime
        for part in 0..<MemorySpan.parts {
            low[part] = MemorySpan.pick(low[part], other.low[part], min)
            high[part] = MemorySpan.pick(high[part], other.high[part], max)
        }
    }

    private static func pick(_ a: Double, _ b: Double, _ choose: (Double, Double) -> Double) -> Double {
        a.isNaN ? b : b.isNaN ? a : choose(a, b)
    }

    /// Folds readings into spans of `blockSize` as they arrive, and drops the spans the window
    /// has left behind. Owned by the sampler, under its window's lock.
    public struct Blocks: Sendable {
        /// The spans of `blockSize` readings completed so far, oldest first.
        public private(set) var complete: [MemorySpan] = []
        private var pending: MemorySpan?
        private var pendingCount = 0

        /// No spans yet.
        public init() {}

        /// Folds in the next reading.
        public mutating func append(_ reading: Sampler.Reading) {
            let span = MemorySpan(reading)
            if pending == nil { pending = span } else { pending!.merge(span) }
            pendingCount += 1
            if pendingCount == MemorySpan.blockSize, let done = pending {
                complete.append(done)
                pending = nil
                pendingCount = 0
            }
        }

        /// Drops spans that end before `oldest`, the window's first reading.
        public mutating func trim(before oldest: Double) {
            let gone = complete.prefix { $0.lastTime < oldest }.count
            if gone > 0 { complete.removeFirst(gone) }
        }
    }
}
