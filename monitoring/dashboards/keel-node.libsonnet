// The Keel node overview dashboard as a plain jsonnet object (grafonnet cannot be fetched here).
// Queries take the mixin's selectors: `%(job)s` is the scrape job, `%(sel)s` adds the chosen instance.
local lib = import '../lib.libsonnet';
{
  local c = $._config,
  local s = { job: c.nodeSelector, i: c.instanceLabel, sel: '%s, %s="$instance"' % [c.nodeSelector, c.instanceLabel] },
  local ds = { type: 'prometheus', uid: '${datasource}' },
  local target(expr, legend, ref) = { datasource: ds, expr: expr % s, legendFormat: legend, refId: ref },
  local panel(id, type, title, grid, targets, unit='short', thresholds=null, description='') = {
    datasource: ds,
    description: description,
    fieldConfig: {
      defaults: { unit: unit } + (if thresholds == null then {} else { thresholds: { mode: 'absolute', steps: thresholds }, color: { mode: 'thresholds' } }),
      overrides: [],
    },
    gridPos: grid,
    id: id,
    options: if type == 'stat' then { colorMode: 'background', graphMode: 'area', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
    else { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: targets,
    title: title,
    type: type,
  },
  // What diagnosing slow propagation needs, restarts and alerts as annotations, and the Build
  // panel showing the version rather than the value 1.
  local extra = {
    annotations: {
      list: [
        { datasource: ds, enable: true, iconColor: 'orange', name: 'Restarts', titleFormat: 'node restarted',
          expr: 'changes(process_start_time_seconds{%(sel)s}[2m]) > 0' % s, step: '1m' },
        { datasource: ds, enable: true, iconColor: 'red', name: 'Alerts', titleFormat: '{{alertname}} ({{severity}})', textFormat: '{{alertstate}}',
          expr: 'ALERTS{%(i)s="$instance", alertstate="firing"}' % s, step: '1m', useValueForTime: false },
      ],
    },
  },
  local diagnosis = [
    { collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: 94 }, id: 40, panels: [], title: 'Diagnosing propagation and sync', type: 'row' },
    panel(41, 'timeseries', 'Own height vs best peer height', { h: 8, w: 8, x: 0, y: 95 },
          [target('keel_chain_height{%(sel)s}', 'own', 'A'), target('keel_p2p_best_peer_height{%(sel)s}', 'best peer', 'B')],
          description='A gap that does not close is SyncLagHigh; the two lines together with an old tip is ChainHeightStalled.'),
    panel(42, 'stat', 'Tip age', { h: 8, w: 4, x: 8, y: 95 }, [target('time() - keel_chain_tip_timestamp_seconds{%(sel)s}', 'tip age', 'A')], unit='s',
          thresholds=[{ color: 'green', value: null }, { color: 'yellow', value: 300 }, { color: 'red', value: c.alerts.ChainHeightStalled.threshold }],
          description="Seconds since the tip block's own timestamp."),
    panel(43, 'stat', 'Sync lag (blocks)', { h: 8, w: 4, x: 12, y: 95 }, [target('keel_p2p_best_peer_height{%(sel)s} - keel_chain_height{%(sel)s}', 'behind', 'A')],
          thresholds=[{ color: 'green', value: null }, { color: 'yellow', value: 2 }, { color: 'red', value: c.alerts.SyncLagHigh.threshold + 1 }]),
    panel(44, 'timeseries', 'Orphan blocks held', { h: 8, w: 8, x: 16, y: 95 },
          [target('keel_p2p_orphan_blocks{%(sel)s}', 'blocks', 'A'), target('keel_p2p_download_queue{%(sel)s}', 'download queue', 'B'),
           target('keel_p2p_blocks_in_flight{%(sel)s}', 'in flight', 'C')]),
    panel(45, 'timeseries', 'P2P messages by command', { h: 8, w: 8, x: 0, y: 103 },
          [target('sum by (command, direction) (rate(keel_p2p_messages_total{%(sel)s}[5m]))', '{{direction}} {{command}}', 'A')], unit='ops'),
    panel(46, 'timeseries', 'Dials by result (15 m)', { h: 8, w: 8, x: 8, y: 103 },
          [target('sum by (result) (increase(keel_p2p_dials_total{%(sel)s}[15m]))', '{{result}}', 'A')]),
    panel(47, 'timeseries', 'RocksDB write stalls and compaction backlog', { h: 8, w: 8, x: 16, y: 103 },
          [target('keel_rocksdb_delayed_write_rate_bytes{%(sel)s}', 'delayed write rate (B/s)', 'A'),
           target('keel_rocksdb_pending_compaction_bytes{%(sel)s}', 'pending compaction (B)', 'B'),
           target('keel_rocksdb_write_stopped{%(sel)s}', 'writes stopped', 'C')], unit='bytes',
          description='Slow block connection with a backlog here is the disk; see RocksDBWritesStalled.'),
    panel(48, 'timeseries', 'Disk latency: store writes p99', { h: 8, w: 8, x: 0, y: 111 },
          [target('histogram_quantile(0.99, sum by (sync, le) (rate(keel_storage_write_seconds_bucket{%(sel)s}[5m])))', 'p99 sync={{sync}}', 'A'),
           target('histogram_quantile(0.5, sum by (sync, le) (rate(keel_storage_write_seconds_bucket{%(sel)s}[5m])))', 'p50 sync={{sync}}', 'B')], unit='s',
          description='How long one RocksDB write batch takes (fsynced or not): the disk as the chain sees it. Compare with block connect latency.'),
  ],
  grafanaDashboards+:: {
    'keel-node.json': local board = {
    uid: 'keel-node',
    title: 'Keel node overview',
    description: 'One Keel node: chain, validation, propagation, memory, mining, API, RocksDB.',
    tags: ["keel"],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: {
      from: 'now-6h',
      to: 'now',
    },
    templating: {
      list: [
        {
          name: 'datasource',
          type: 'datasource',
          query: 'prometheus',
          label: 'Data source',
          current: {},
          hide: 0,
        },
        {
          name: 'instance',
          type: 'query',
          datasource: {
            type: 'prometheus',
            uid: '${datasource}',
          },
          label: 'Instance',
          query: { query: 'label_values(up{%(job)s}, %(i)s)' % s, refId: 'instance',
          },
          definition: 'label_values(up{%(job)s}, %(i)s)' % s,
          refresh: 2,
          includeAll: false,
          multi: false,
          current: {},
          hide: 0,
        },
      ],
    },
    annotations: {
      list: [],
    },
    panels: [
      {
        type: 'row',
        title: 'Chain',
        id: 1,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 0,
        },
        panels: [],
      },
      {
        type: 'stat',
        title: 'Chain height',
        id: 2,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 0,
          y: 1,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: ["lastNotNull"],
            fields: '',
            values: false,
          },
          colorMode: 'value',
          graphMode: 'area',
        },
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_chain_height{%(sel)s}' % s,
            legendFormat: 'height',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Peers by direction',
        id: 3,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 6,
          y: 1,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_peers{%(sel)s}' % s,
            legendFormat: '{{direction}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Mempool',
        id: 4,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 12,
          y: 1,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_mempool_transactions{%(sel)s}' % s,
            legendFormat: 'transactions',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Mempool bytes',
        id: 5,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 18,
          y: 1,
        },
        fieldConfig: {
          defaults: {
            unit: 'bytes',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_mempool_bytes{%(sel)s}' % s,
            legendFormat: 'bytes',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Blocks connected per second',
        id: 6,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 9,
        },
        fieldConfig: {
          defaults: {
            unit: 'ops',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum by (origin) (rate(keel_blocks_connected_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{origin}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Block connect latency',
        id: 7,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 9,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'histogram_quantile(0.5, sum by (le) (rate(keel_block_connect_seconds_bucket{%(sel)s}[5m])))' % s,
            legendFormat: 'p50',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'keel:block_connect_seconds:p99_5m{%(sel)s}' % s,
            legendFormat: 'p99',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Reorgs',
        id: 8,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 16,
          y: 9,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'increase(keel_reorgs_total{%(sel)s}[1h])' % s,
            legendFormat: 'reorgs per hour',
          },
        ],
      },
      {
        type: 'row',
        title: 'Validation and templates',
        id: 9,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 17,
        },
        panels: [],
      },
      {
        type: 'timeseries',
        title: 'Signature verification p99, parallel vs sequential',
        id: 10,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: 'Per-block verification time; parallel should beat sequential by about the core count.',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 18,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel:signature_verification_seconds:p99_10m{%(sel)s}' % s,
            legendFormat: '{{mode}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Signatures verified per second',
        id: 11,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 18,
        },
        fieldConfig: {
          defaults: {
            unit: 'ops',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum by (mode) (rate(keel_signatures_verified_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{mode}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Template cache hit ratio',
        id: 12,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 16,
          y: 18,
        },
        fieldConfig: {
          defaults: {
            unit: 'percentunit',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum(rate(keel_template_cache_hits_total{%(sel)s}[15m])) / clamp_min(sum(rate(keel_template_cache_hits_total{%(sel)s}[15m])) + sum(rate(keel_template_cache_misses_total{%(sel)s}[15m])), 1e-9)' % s,
            legendFormat: 'hit ratio',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Template build p99',
        id: 13,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 26,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'histogram_quantile(0.99, sum by (le) (rate(keel_template_build_seconds_bucket{%(sel)s}[5m])))' % s,
            legendFormat: 'p99',
          },
        ],
      },
      {
        type: 'row',
        title: 'Propagation and P2P',
        id: 14,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 34,
        },
        panels: [],
      },
      {
        type: 'timeseries',
        title: 'Block propagation quantiles',
        id: 15,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: 'Arrival time minus the block\'s timestamp.',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 35,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel:block_propagation_seconds:p50_5m{%(sel)s}' % s,
            legendFormat: 'p50',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'keel:block_propagation_seconds:p99_5m{%(sel)s}' % s,
            legendFormat: 'p99',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Peer ping p99',
        id: 16,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 35,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'histogram_quantile(0.99, sum by (le) (rate(keel_peer_ping_seconds_bucket{%(sel)s}[5m])))' % s,
            legendFormat: 'p99',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'P2P traffic',
        id: 17,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 16,
          y: 35,
        },
        fieldConfig: {
          defaults: {
            unit: 'Bps',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum by (direction) (rate(keel_p2p_bytes_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{direction}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Bans and disconnects',
        id: 18,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 43,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum by (reason) (increase(keel_peer_bans_total{%(sel)s}[1h]))' % s,
            legendFormat: 'ban {{reason}}',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'sum by (reason) (increase(keel_peer_disconnects_total{%(sel)s}[1h]))' % s,
            legendFormat: 'disconnect {{reason}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Address book and seeds',
        id: 19,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 43,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_p2p_address_book_size{%(sel)s}' % s,
            legendFormat: 'address book',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'keel_p2p_seeds_reachable{%(sel)s}' % s,
            legendFormat: 'seeds reachable',
          },
        ],
      },
      {
        type: 'row',
        title: 'Memory',
        id: 20,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 51,
        },
        panels: [],
      },
      {
        type: 'timeseries',
        title: 'Resident memory',
        id: 21,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 52,
        },
        fieldConfig: {
          defaults: {
            unit: 'bytes',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'process_resident_memory_bytes{%(sel)s}' % s,
            legendFormat: 'RSS',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'sum(keel_rocksdb_memtable_bytes{%(sel)s})' % s,
            legendFormat: 'RocksDB memtables',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'C',
            expr: 'keel_rocksdb_block_cache_bytes{%(sel)s}' % s,
            legendFormat: 'RocksDB block cache',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'D',
            expr: 'keel_process_rss_unaccounted_bytes{%(sel)s}' % s,
            legendFormat: 'unaccounted (RSS minus the bounded parts)',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'E',
            expr: 'keel_chain_header_window_bytes{%(sel)s}' % s,
            legendFormat: 'header window',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'F',
            expr: 'keel_mempool_bytes{%(sel)s} + keel_p2p_send_queue_bytes{%(sel)s}' % s,
            legendFormat: 'mempool + peer send queues',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Unaccounted RSS growth over baseline',
        id: 22,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: 'Unaccounted RSS (RSS minus block cache, memtables, header window, mempool and peer send queues) against its value after --rss-warmup; MemoryGrowthHigh fires above 25%.',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 52,
        },
        fieldConfig: {
          defaults: {
            unit: 'percentunit',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_process_rss_growth_ratio{%(sel)s}' % s,
            legendFormat: 'growth',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Threads and open fds',
        id: 23,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 16,
          y: 52,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'process_threads{%(sel)s}' % s,
            legendFormat: 'threads',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'process_open_fds{%(sel)s}' % s,
            legendFormat: 'open fds',
          },
        ],
      },
      {
        type: 'row',
        title: 'Mining',
        id: 24,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 60,
        },
        panels: [],
      },
      {
        type: 'stat',
        title: 'Mining state',
        id: 25,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 0,
          y: 61,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: ["lastNotNull"],
            fields: '',
            values: false,
          },
          colorMode: 'value',
          graphMode: 'area',
        },
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_mining_active{%(sel)s}' % s,
            legendFormat: 'active',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'keel_mining_threads{%(sel)s}' % s,
            legendFormat: 'threads',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Hash rate',
        id: 26,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 8,
          y: 61,
        },
        fieldConfig: {
          defaults: {
            unit: 'ops',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel:mining_hashes:rate1m{%(sel)s}' % s,
            legendFormat: 'hashes/s',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Mining stop latency',
        id: 27,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 8,
          x: 16,
          y: 61,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel:mining_stop_seconds:p99_15m{%(sel)s}' % s,
            legendFormat: 'p99',
          },
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'B',
            expr: 'histogram_quantile(0.5, sum by (le) (rate(keel_mining_stop_seconds_bucket{%(sel)s}[15m])))' % s,
            legendFormat: 'p50',
          },
        ],
      },
      {
        type: 'row',
        title: 'API and storage',
        id: 28,
        collapsed: false,
        gridPos: {
          h: 1,
          w: 24,
          x: 0,
          y: 69,
        },
        panels: [],
      },
      {
        type: 'timeseries',
        title: 'API requests by route',
        id: 29,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 70,
        },
        fieldConfig: {
          defaults: {
            unit: 'reqps',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'sum by (route, status_class) (rate(keel_api_requests_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{route}} {{status_class}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'API p99 by route',
        id: 30,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 70,
        },
        fieldConfig: {
          defaults: {
            unit: 's',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel:api_request_seconds:p99_5m{%(sel)s}' % s,
            legendFormat: '{{route}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'RocksDB SST bytes by column family',
        id: 31,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 78,
        },
        fieldConfig: {
          defaults: {
            unit: 'bytes',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_rocksdb_sst_bytes{%(sel)s}' % s,
            legendFormat: '{{column_family}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'RocksDB memtable bytes by column family',
        id: 32,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 78,
        },
        fieldConfig: {
          defaults: {
            unit: 'bytes',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_rocksdb_memtable_bytes{%(sel)s}' % s,
            legendFormat: '{{column_family}}',
          },
        ],
      },
      {
        type: 'stat',
        title: 'Build',
        id: 33,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 0,
          y: 86,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {
          reduceOptions: {
            calcs: ["lastNotNull"],
            fields: '',
            values: false,
          },
          colorMode: 'value',
          graphMode: 'area',
        },
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'keel_build_info{%(sel)s}' % s,
            legendFormat: '{{version}} {{commit}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'CPU',
        id: 34,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 6,
          x: 6,
          y: 86,
        },
        fieldConfig: {
          defaults: {
            unit: 'short',
          },
          overrides: [],
        },
        options: {},
        targets: [
          {
            datasource: {
              type: 'prometheus',
              uid: '${datasource}',
            },
            refId: 'A',
            expr: 'rate(process_cpu_seconds_total{%(sel)s}[5m])' % s,
            legendFormat: 'cores',
          },
        ],
      },
    ],
  };
    board + extra + {
      // The Build panel names the version and commit instead of showing the value 1. A height
      // alone is neither good nor bad: its panel is not coloured and points at the two stats
      // that judge it (tip age, sync lag). Mining says "mining" or "stopped" in words, green
      // while it mines; stopped is normal on a node that does not mine, so it is not red.
      panels: [
        if p.title == 'Build' then p + { options+: { textMode: 'name', colorMode: 'none' } }
        else if p.title == 'Chain height' then p + {
          description: 'Height of the active chain. Whether it is current is judged by Tip age and Sync lag (row "Diagnosing propagation and sync").',
          fieldConfig+: { defaults+: { color: { mode: 'fixed', fixedColor: 'text' }, thresholds: { mode: 'absolute', steps: [{ color: 'text', value: null }] } } },
          options+: { colorMode: 'none' },
        }
        else if p.title == 'Mining state' then lib.states(p, 'active', [['stopped', 'text'], ['mining', 'green']]) + {
          description: 'Whether the miner runs (stopped is normal on a node that does not mine; it also stops while writes are paused) and its threads.',
        }
        else p
        for p in board.panels
      ] + diagnosis,
    },
  },
}
