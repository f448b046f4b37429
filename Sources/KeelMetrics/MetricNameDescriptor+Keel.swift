import Prometheus

extension MetricNameDescriptor {
    /// A descriptor for a full metric name (unit already in the name) with its help text.
    public static func keel(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
