// The Keel sidecar dashboard as a plain jsonnet object (grafonnet cannot be fetched here).
// Queries take the mixin's selectors: `%(job)s` is the scrape job, `%(sel)s` adds the chosen instance.
local lib = import '../lib.libsonnet';
{
  local c = $._config,
  local s = { job: c.sidecarSelector, i: c.instanceLabel, sel: '%s, %s="$instance"' % [c.sidecarSelector, c.instanceLabel] },
  grafanaDashboards+:: {
    'keel-sidecar.json': local board = {
    uid: 'keel-sidecar',
    title: 'Keel sidecar',
    description: 'The sidecar supervising a Keel node: restarts, alerts, webhooks, soaks.',
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
        title: 'Supervision',
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
        title: 'Node up',
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
            expr: 'keel_sidecar_node_up{%(sel)s}' % s,
            legendFormat: 'up',
          },
        ],
      },
      {
        type: 'stat',
        title: 'Restarts suspended (crash loop)',
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
            expr: 'keel_sidecar_restarts_suspended{%(sel)s}' % s,
            legendFormat: 'suspended',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Node restarts by reason',
        id: 4,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
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
            expr: 'sum by (reason) (increase(keel_sidecar_node_restarts_total{%(sel)s}[1h]))' % s,
            legendFormat: '{{reason}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Health checks',
        id: 5,
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
            expr: 'sum by (result) (rate(keel_sidecar_health_checks_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{result}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Scrapes of the node',
        id: 6,
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
            expr: 'sum by (result) (rate(keel_sidecar_scrapes_total{%(sel)s}[5m]))' % s,
            legendFormat: '{{result}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Children reaped',
        id: 7,
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
            expr: 'keel_sidecar_children_reaped{%(sel)s}' % s,
            legendFormat: 'reaped',
          },
        ],
      },
      {
        type: 'row',
        title: 'Alerts and webhooks',
        id: 8,
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
        title: 'Alerts firing',
        id: 9,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 18,
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
            expr: 'keel_sidecar_alerts_firing{%(sel)s}' % s,
            legendFormat: '{{alertname}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Webhook deliveries by result',
        id: 10,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
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
            expr: 'keel_sidecar:webhook_deliveries:rate15m{%(sel)s}' % s,
            legendFormat: '{{result}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Outbox depth',
        id: 11,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 26,
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
            expr: 'keel_sidecar_outbox_depth{%(sel)s}' % s,
            legendFormat: 'waiting',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Notifications queued',
        id: 12,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 26,
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
            expr: 'sum by (status) (increase(keel_sidecar_alert_notifications_total{%(sel)s}[1h]))' % s,
            legendFormat: '{{status}}',
          },
        ],
      },
      {
        type: 'row',
        title: 'Soaks and the sidecar itself',
        id: 13,
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
        title: 'Soak progress',
        id: 14,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '0 when no soak runs; a running soak serves its own /metrics (default 127.0.0.1:9336).',
        gridPos: {
          h: 8,
          w: 12,
          x: 0,
          y: 35,
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
            expr: 'keel_sidecar_soak_progress_ratio{%(sel)s}' % s,
            legendFormat: '{{soak}}',
          },
        ],
      },
      {
        type: 'timeseries',
        title: 'Sidecar memory',
        id: 15,
        datasource: {
          type: 'prometheus',
          uid: '${datasource}',
        },
        description: '',
        gridPos: {
          h: 8,
          w: 12,
          x: 12,
          y: 35,
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
        ],
      },
    ],
  };
    board + {
      // The two states in words with their colours: a stopped node or suspended restarts read
      // as such without colour vision.
      panels: [
        if p.title == 'Node up' then lib.states(p, 'up', [['down', 'red'], ['up', 'green']])
        else if p.title == 'Restarts suspended (crash loop)' then lib.states(p, 'suspended', [['no', 'green'], ['suspended', 'red']])
        else p
        for p in board.panels
      ],
    },
  },
}
