import Prometheus

extension PrometheusCollectorRegistry {
    /// One counter per value of `label`, keyed by that value. Every series exists (at 0) from
    /// the start, so `rate()` and `absent()` see it before its first event.
    public func counters(_ name: String, _ help: String, label: String, values: some Sequence<String>) -> [String: Counter] {
        Dictionary(uniqueKeysWithValues: values.map { ($0, makeCounter(descriptor: .keel(name, help), labels: [(label, $0)])) })
    }

    /// One gauge per value of `label`, keyed by that value (each present from the start).
    public func gauges(_ name: String, _ help: String, label: String, values: some Sequence<String>) -> [String: Gauge] {
        Dictionary(uniqueKeysWithValues: values.map { ($0, makeGauge(descriptor: .keel(name, help), labels: [(label, $0)])) })
    }

    /// One histogram with `buckets` per value of `label`, keyed by that value (each present
    /// from the start).
    public func histograms(
        _ name: String, _ help: String, label: String, values: some Sequence<String>, buckets: [Double]
    ) -> [String: ValueHistogram] {
        Dictionary(
            uniqueKeysWithValues: values.map { ($0, makeValueHistogram(descriptor: .keel(name, help), labels: [(label, $0)], buckets: buckets)) })
    }
}
