// Keel's alerts, from the model in config.libsonnet. Every alert keeps only the instance label
// (plus `mode` where it splits by one), so the sidecar's copy of a shared alert carries exactly
// the same labels and Alertmanager merges the two into one.
local lib = import '../lib.libsonnet';

{
  local c = $._config,
  local m = c.alerts,
  local i = c.instanceLabel,
  local node = c.nodeSelector,
  local sidecar = c.sidecarSelector,
  local d = lib.duration,
  local f = lib.figure,

  // One rule from the model: name, for, severity and summary from `m[name]`.
  local rule(name, expr, description) = {
    alert: name,
    expr: expr,
    'for': d(m[name]['for']),
    labels: { severity: m[name].severity },
    annotations: {
      summary: m[name].summary,
      description: description,
      runbook_url: '%s/%s.md' % [c.runbookBase, name],
    },
  },
  local who = '{{ $labels.%s }}' % i,

  prometheusAlerts+:: {
    groups+: [
      {
        name: 'keel-node',
        rules: [
          rule('NodeDown', 'max by (%s) (up{%s}) == 0' % [i, node],
               'Prometheus cannot scrape the node %s.' % who),
          rule('NodeRestarted', |||
            max by (%(i)s) (changes(process_start_time_seconds{%(node)s}[%(w)s])) >= %(t)s
              or max by (%(i)s) (increase(keel_sidecar_node_restarts_total{%(sidecar)s}[%(w)s])) >= %(t)s
          ||| % { i: i, node: node, sidecar: sidecar, w: d(m.NodeRestarted.window), t: f(m.NodeRestarted.threshold) },
               'The node %s started again within the last %s (crash, upgrade or operator restart); it is running now.' % [who, d(m.NodeRestarted.window)]),
          rule('NodeCrashLooping', |||
            max by (%(i)s) (changes(process_start_time_seconds{%(node)s}[%(w)s])) >= %(t)s
              or max by (%(i)s) (keel_sidecar_restarts_suspended{%(sidecar)s}) == 1
          ||| % { i: i, node: node, sidecar: sidecar, w: d(m.NodeCrashLooping.window), t: f(m.NodeCrashLooping.threshold) },
               'The node %s restarted at least %s times in %s, or its sidecar stopped restarting it at the burst limit.' % [who, f(m.NodeCrashLooping.threshold), d(m.NodeCrashLooping.window)]),
          rule('MemoryGrowthHigh', 'max by (%s) (keel_process_rss_growth_ratio{%s}) > %s' % [i, node, f(m.MemoryGrowthHigh.threshold)],
               'Unaccounted RSS (RSS minus the bounded caches and windows) of %s is {{ $value | humanizePercentage }} over its baseline (threshold %s).' % [who, f(m.MemoryGrowthHigh.threshold)]),
          rule('ChainHeightStalled', |||
            max by (%(i)s) (time() - keel_chain_tip_timestamp_seconds{%(node)s}) > %(t)s
              and on (%(i)s) max by (%(i)s) (keel_p2p_best_peer_height{%(node)s} - keel_chain_height{%(node)s}) <= %(lag)s
          ||| % { i: i, node: node, t: f(m.ChainHeightStalled.threshold), lag: f(m.ChainHeightStalled.lag) },
               'The newest block on %s is {{ $value | humanizeDuration }} old and no peer is ahead: the network has stopped producing blocks or the node is cut off from it.' % who),
          rule('PeersLow', 'sum by (%s) (keel_peers{%s}) < %s' % [i, node, f(m.PeersLow.threshold)],
               '%s has {{ $value }} peer(s) connected (minimum %s).' % [who, f(m.PeersLow.threshold)]),
          rule('MiningStopSlow', 'histogram_quantile(0.99, sum by (%s, le) (rate(keel_mining_stop_seconds_bucket{%s}[%s]))) > %s'
                                 % [i, node, d(m.MiningStopSlow.window), f(m.MiningStopSlow.threshold)],
               'p99 mining stop on %s over %s is {{ $value | humanizeDuration }} (limit %ss).' % [who, d(m.MiningStopSlow.window), f(m.MiningStopSlow.threshold)]),
          rule('PropagationSlow', 'histogram_quantile(0.99, sum by (%s, le) (rate(keel_block_propagation_seconds_bucket{%s}[%s]))) > %s'
                                  % [i, node, d(m.PropagationSlow.window), f(m.PropagationSlow.threshold)],
               'p99 propagation of blocks arriving at the tip of %s over %s is {{ $value | humanizeDuration }} (limit %ss).' % [who, d(m.PropagationSlow.window), f(m.PropagationSlow.threshold)]),
          rule('SyncLagHigh', |||
            max by (%(i)s) (keel_p2p_best_peer_height{%(node)s} - keel_chain_height{%(node)s}) > %(t)s
              and on (%(i)s) max by (%(i)s) (delta(keel_chain_height{%(node)s}[15m])) < %(t)s
          ||| % { i: i, node: node, t: f(m.SyncLagHigh.threshold) },
               '%s is {{ $value }} blocks behind its best peer and gained fewer than %s blocks in 15 minutes.' % [who, f(m.SyncLagHigh.threshold)]),
          rule('SignatureVerificationSlow', 'histogram_quantile(0.99, sum by (%s, mode, le) (rate(keel_signature_verification_seconds_bucket{%s, mode="parallel"}[10m]))) > %s'
                                            % [i, node, f(m.SignatureVerificationSlow.threshold)],
               'p99 parallel signature verification per block on %s is {{ $value | humanizeDuration }} (limit %ss).' % [who, f(m.SignatureVerificationSlow.threshold)]),
          rule('TemplateCacheHitRatioLow', |||
            sum by (%(i)s) (rate(keel_template_cache_hits_total{%(node)s}[15m]))
              / (sum by (%(i)s) (rate(keel_template_cache_hits_total{%(node)s}[15m]) + rate(keel_template_cache_misses_total{%(node)s}[15m])) > 0) < %(t)s
              and on (%(i)s) sum by (%(i)s) (rate(keel_template_cache_misses_total{%(node)s}[15m])) > 2 * sum by (%(i)s) (rate(keel_blocks_connected_total{%(node)s}[15m]))
          ||| % { i: i, node: node, t: f(m.TemplateCacheHitRatioLow.threshold) },
               'Template cache hit ratio on %s is {{ $value | humanizePercentage }} (minimum %s) and templates are rebuilt more than twice per new block.' % [who, f(m.TemplateCacheHitRatioLow.threshold)]),
          rule('StorageWritesPaused', 'min by (%s) (keel_storage_writable{%s}) == 0' % [i, node],
               'The node %s has paused writes (disk full or I/O errors); it takes no blocks or transactions and does not mine. /ready says why.' % who),
          rule('DiskSpaceLow', |||
            min by (%(i)s) (keel_storage_free_bytes{%(node)s}) < %(t)s * min by (%(i)s) (keel_storage_free_floor_bytes{%(node)s})
              or (min by (%(i)s) (predict_linear(keel_storage_free_bytes{%(node)s}[6h], 86400)) < min by (%(i)s) (keel_storage_free_floor_bytes{%(node)s})
                and min by (%(i)s) (keel_storage_free_bytes{%(node)s} offset 1h))
          ||| % { i: i, node: node, t: f(m.DiskSpaceLow.threshold) },
               "%s has under %s times its floor free on its data directory's disk, or will reach the floor within a day; at the floor the node pauses writes." % [who, f(m.DiskSpaceLow.threshold)]),
          rule('RocksDBWritesStalled', |||
            max by (%(i)s) (keel_rocksdb_write_stopped{%(node)s}) == 1
              or max by (%(i)s) (keel_rocksdb_delayed_write_rate_bytes{%(node)s}) > 0
          ||| % { i: i, node: node },
               'RocksDB on %s is delaying or stopping writes (compaction behind or too many memtables); blocks connect slowly.' % who),
          rule('FileDescriptorsHigh', 'max by (%s) (process_open_fds{%s} / process_max_fds{%s}) > %s' % [i, node, node, f(m.FileDescriptorsHigh.threshold)],
               '%s uses {{ $value | humanizePercentage }} of its open-file limit; at the limit it refuses peers and RocksDB fails.' % who),
          rule('OutboundPeersZero', 'max by (%s) (keel_peers{%s, direction="outbound"}) == 0' % [i, node],
               '%s has no peer it dialled itself: inbound peers alone can feed it a false view of the chain.' % who),
          rule('ReorgDeep', |||
            sum by (%(i)s) (increase(keel_reorg_depth_count{%(node)s}[%(w)s]))
              - sum by (%(i)s) (increase(keel_reorg_depth_bucket{%(node)s, le=~"%(t)s|%(t)s.0"}[%(w)s])) > 0
          ||| % { i: i, node: node, w: d(m.ReorgDeep.window), t: f(m.ReorgDeep.threshold) },
               '%s replaced more than %s blocks of its chain in one reorganization within the last %s.' % [who, f(m.ReorgDeep.threshold), d(m.ReorgDeep.window)]),
          rule('APIErrorsHigh', |||
            sum by (%(i)s) (rate(keel_api_requests_total{%(node)s, status_class="5xx"}[%(w)s]))
              / (sum by (%(i)s) (rate(keel_api_requests_total{%(node)s}[%(w)s])) > 0) > %(t)s
          ||| % { i: i, node: node, w: d(m.APIErrorsHigh.window), t: f(m.APIErrorsHigh.threshold) },
               '{{ $value | humanizePercentage }} of API requests to %s fail with a server error (limit %s).' % [who, f(m.APIErrorsHigh.threshold)]),
          rule('ClockSkewHigh', 'max by (%s) (abs(keel_p2p_peer_clock_offset_seconds{%s})) > %s' % [i, node, f(m.ClockSkewHigh.threshold)],
               "The median peer's clock is {{ $value | humanizeDuration }} away from the clock of %s: block timestamps it makes or judges are off by as much." % who),
        ],
      },
      {
        name: 'keel-sidecar',
        rules: [
          rule('WebhookDeliveriesFailing', |||
            sum by (%(i)s) (increase(keel_sidecar_webhook_deliveries_total{%(sidecar)s, result="failed"}[%(w)s])) > 0
              or max by (%(i)s) (keel_sidecar_outbox_depth{%(sidecar)s}) > 0
          ||| % { i: i, sidecar: sidecar, w: d(m.WebhookDeliveriesFailing.window) },
               'The sidecar %s has given up deliveries in the last %s or keeps notifications waiting in its outbox.' % [who, d(m.WebhookDeliveriesFailing.window)]),
          rule('SidecarAbsent', 'max by (%s) (up{%s}) == 0' % [i, sidecar],
               'Nothing supervises the node %s and no alert webhook will be sent: Prometheus cannot scrape its sidecar.' % who),
        ],
      },
      {
        name: 'keel-meta',
        rules: [
          rule('KeelTargetMissing', 'absent(up{%s}) or absent(up{%s})' % [node, sidecar],
               'Prometheus has no target matching {{ $labels.job }}: a scrape job was renamed or removed. Name the jobs as the mixin config says (nodeSelector, sidecarSelector) or change the config and render again.'),
          rule('Watchdog', 'vector(1)',
               'Always firing, to prove that Prometheus evaluates rules and Alertmanager delivers: route it to a dead man\'s switch that pages when it stops arriving.'),
        ],
      },
    ],
  },
}
