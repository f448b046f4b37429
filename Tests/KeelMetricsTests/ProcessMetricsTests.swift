import KeelMetrics
import KeelTesting
import Prometheus
import Testing

@Suite("Process and memory metrics")
struct ProcessMetricsTests {
    @Test("process metrics are read from /proc")
    func process() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ProcessMetrics(registry: registry)
        metrics.update(try #require(ProcessSample.read()))
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        let e = Exposition(buffer)
        #expect((e.samples["process_resident_memory_bytes"] ?? 0) > 1_000_000)
        #expect((e.samples["process_virtual_memory_bytes"] ?? 0) >= (e.samples["process_resident_memory_bytes"] ?? 0))
        #expect((e.samples["process_threads"] ?? 0) >= 1)
        #expect((e.samples["process_open_fds"] ?? 0) >= 3)
        #expect((e.samples["process_max_fds"] ?? 0) >= (e.samples["process_open_fds"] ?? 0))
        let now = Double(time(nil))
        let start = e.samples["process_start_time_seconds"] ?? 0
        #expect(start > now - 86_400 && start <= now + 1)
        #expect((e.samples["process_cpu_seconds_total"] ?? -1) >= 0)
    }

    @Test("RSS growth is zero during warm-up and the ratio to the baseline after it")
    func rssGrowth() {
        let warming = RSSGrowthTracker(warmup: 3_600)
        warming.observe(unaccountedBytes: 100)
        #expect(warming.baselineBytes == nil)
        #expect(warming.ratio(unaccountedBytes: 500) == 0)
        let warm = RSSGrowthTracker(warmup: 0)
        warm.observe(unaccountedBytes: 200)
        warm.observe(unaccountedBytes: 999)  // the baseline is taken once
        #expect(warm.baselineBytes == 200)
        #expect(warm.ratio(unaccountedBytes: 300) == 0.5)
    }

    @Test("jemalloc serves malloc, with Keel's settings, and reports what it holds")
    func allocator() throws {
        let description = try #require(Heap.description, "jemalloc does not answer mallctl")
        #expect(description.contains("narenas 2") && description.contains("dirty_decay_ms 0"), "\(description)")
        let before = Heap.read()
        let size = 16 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)  // malloc underneath
        block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        let during = Heap.read()
        block.deallocate()
        // Other tests allocate and free meanwhile: half the block is margin enough.
        #expect(during.allocated >= before.allocated + UInt64(size / 2), "malloc is not jemalloc's: \(before) then \(during)")
        #expect(Heap.read().allocated < during.allocated)
    }

    @Test("bulk work keeps freed pages for reuse while it runs, and returns them once none runs")
    func bulkDecay() async throws {
        try #require(Heap.description != nil, "jemalloc does not answer mallctl")
        let inside = Heap.bulk { () -> (outer: Int, nested: Int, afterNested: Int) in
            let outer = Heap.currentDecayMilliseconds
            let nested = Heap.bulk { Heap.currentDecayMilliseconds }
            return (outer, nested, Heap.currentDecayMilliseconds)
        }
        #expect(inside.outer == Heap.bulkDecayMilliseconds && inside.nested == Heap.bulkDecayMilliseconds)
        // The inner scope's end leaves the outer one's setting alone.
        #expect(inside.afterNested == Heap.bulkDecayMilliseconds)
        // Other suites in this process (the P2P importer) may run bulk work too: awaited, the
        // setting is back to no decay once none does.
        let restored = await Poll.holds(within: 10) { Heap.currentDecayMilliseconds == 0 }
        #expect(restored, "decay stayed at \(Heap.currentDecayMilliseconds) ms")
    }

    @Test("a counter fed from a running total follows it up and never back")
    func monotonic() {
        let registry = PrometheusCollectorRegistry()
        let counter = MonotonicCounter(registry.makeCounter(descriptor: .keel("t_hashes_total", "Hashes.")))
        counter.update(total: 10)
        counter.update(total: 25)
        counter.update(total: 20)  // a restarted miner's lower total never moves it back
        counter.update(total: 22)
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        #expect(Exposition(buffer).samples["t_hashes_total"] == 25)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
