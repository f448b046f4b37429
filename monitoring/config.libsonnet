// The Keel monitoring mixin's configuration: the selectors that find Keel's series, the label
// that names a node, and the one alert model. The Prometheus rules (prometheus/rules/*.yml) and
// the sidecar's built-in rules (Sources/KeelSidecar/AlertRule+Model.swift) are both rendered
// from `alerts` below by `make mixin`, so a threshold, a `for:`, a severity or a summary cannot
// differ between the two pipelines. Durations are seconds.
{
  _config+:: {
    // The scrape jobs as named in prometheus.yml. Rename them here, not in the rules.
    nodeSelector: 'job="keel-node"',
    sidecarSelector: 'job="keel-sidecar"',
    // The label that names one node on every series of the node and of its sidecar (set it
    // per target in prometheus.yml, and as `alerts.labels.instance` in the sidecar's
    // configuration): alerts keep only this label, so the two pipelines' alerts are identical
    // and Alertmanager merges them, and inhibition pairs node and sidecar alerts by it.
    instanceLabel: 'instance',
    runbookBase: 'runbook/alerts',
    dashboardTags: ['keel-mixin'],

    // The one alert model. Each alert: severity, for (seconds), summary, and where it means
    // something the figures it compares with: threshold, window (seconds). `sidecar: true`
    // alerts are evaluated by the sidecar too (same name, threshold, for, window, severity,
    // summary, labels); `prometheus: false` ones only by the sidecar. `means` says what the
    // threshold is, for the sidecar's configuration reference.
    alerts: {
      NodeDown: { severity: 'critical', 'for': 60, sidecar: true, summary: 'The Keel node is down',
                  means: 'The node is not running or fails its health check (threshold unused); it pages only while the node stays down.' },
      NodeRestarted: { severity: 'warning', 'for': 60, threshold: 1, window: 900, sidecar: true, summary: 'The Keel node restarted',
                       means: 'At least `threshold` starts after the first within `window`; the exit detail and the last log lines are attached.' },
      NodeCrashLooping: { severity: 'critical', 'for': 60, threshold: 3, window: 900, sidecar: true, summary: 'The Keel node keeps crashing',
                          means: 'At least `threshold` restarts within `window`, or the burst limit stopped restarts.' },
      MemoryGrowthHigh: { severity: 'warning', 'for': 1800, threshold: 0.25, sidecar: true, summary: "The node's memory keeps growing",
                          means: '`keel_process_rss_growth_ratio` above `threshold` (unaccounted RSS 0.25 = 25% over its baseline).' },
      ChainHeightStalled: { severity: 'warning', 'for': 300, threshold: 900, lag: 6, sidecar: true, summary: 'The chain has not moved',
                            means: 'The newest block is more than `threshold` seconds old (`keel_chain_tip_timestamp_seconds`) while no peer is more than 6 blocks ahead (catching up is SyncLagHigh).' },
      PeersLow: { severity: 'warning', 'for': 600, threshold: 2, sidecar: true, summary: 'The node has too few peers',
                  means: 'Fewer than `threshold` connected peers.' },
      MiningStopSlow: { severity: 'warning', 'for': 300, threshold: 1, window: 900, sidecar: true, summary: 'Stopping mining is slow',
                        means: 'p99 of `keel_mining_stop_seconds` over `window` above `threshold` seconds.' },
      PropagationSlow: { severity: 'warning', 'for': 600, threshold: 5, window: 300, sidecar: true, summary: 'Blocks reach the node slowly',
                         means: 'p99 of `keel_block_propagation_seconds` (blocks arriving at the tip) over `window` above `threshold` seconds.' },
      SoakFailed: { severity: 'critical', 'for': 0, sidecar: true, prometheus: false, summary: 'A soak run failed',
                    means: 'A soak run failed (sent by `keel-sidecar soak`, never evaluated).' },

      SyncLagHigh: { severity: 'warning', 'for': 900, threshold: 6, summary: 'The node is behind its peers and not catching up' },
      SignatureVerificationSlow: { severity: 'warning', 'for': 600, threshold: 0.5, summary: 'Signature verification is slow' },
      TemplateCacheHitRatioLow: { severity: 'warning', 'for': 1800, threshold: 0.5, summary: 'Block templates are rebuilt too often' },
      StorageWritesPaused: { severity: 'critical', 'for': 60, summary: 'The Keel node cannot write to its store' },
      DiskSpaceLow: { severity: 'warning', 'for': 600, threshold: 4, summary: "The Keel node's disk is filling up" },
      RocksDBWritesStalled: { severity: 'warning', 'for': 300, summary: 'RocksDB is slowing or stopping writes' },
      FileDescriptorsHigh: { severity: 'warning', 'for': 300, threshold: 0.8, summary: 'The node is running out of file descriptors' },
      OutboundPeersZero: { severity: 'warning', 'for': 900, summary: 'The node has no outbound peers' },
      ReorgDeep: { severity: 'warning', 'for': 60, threshold: 5, window: 3600, summary: 'A deep chain reorganization happened' },
      APIErrorsHigh: { severity: 'warning', 'for': 600, threshold: 0.05, window: 300, summary: 'The API answers with server errors' },
      ClockSkewHigh: { severity: 'warning', 'for': 900, threshold: 30, summary: "The node's clock disagrees with its peers" },
      WebhookDeliveriesFailing: { severity: 'warning', 'for': 900, window: 3600, summary: 'Alert webhooks are not being delivered' },
      SidecarAbsent: { severity: 'critical', 'for': 300, summary: 'The Keel sidecar is not running' },
      KeelTargetMissing: { severity: 'warning', 'for': 600, summary: 'Prometheus has no Keel target to scrape' },
      Watchdog: { severity: 'info', 'for': 0, summary: 'The alerting pipeline works' },
    },
  },
}
