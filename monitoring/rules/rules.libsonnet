// Recording rules: ratios and quantiles the dashboards share. Names follow
// level:metric:operations (https://prometheus.io/docs/practices/rules/).
{
  local c = $._config,
  local i = c.instanceLabel,
  local q(name, quantile, metric, window, by='') = {
    record: name,
    expr: 'histogram_quantile(%s, sum by (%s, job, %sle) (rate(%s_bucket{%s}[%s])))' % [quantile, i, by, metric, c.nodeSelector, window],
  },

  prometheusRules+:: {
    groups+: [
      {
        name: 'keel-recording',
        rules: [
          q('keel:block_propagation_seconds:p50_5m', '0.5', 'keel_block_propagation_seconds', '5m'),
          q('keel:block_propagation_seconds:p99_5m', '0.99', 'keel_block_propagation_seconds', '5m'),
          q('keel:block_connect_seconds:p99_5m', '0.99', 'keel_block_connect_seconds', '5m'),
          q('keel:mining_stop_seconds:p99_15m', '0.99', 'keel_mining_stop_seconds', '15m'),
          q('keel:signature_verification_seconds:p99_10m', '0.99', 'keel_signature_verification_seconds', '10m', 'mode, '),
          q('keel:api_request_seconds:p99_5m', '0.99', 'keel_api_request_seconds', '5m', 'route, '),
          {
            record: 'keel:template_cache_hit_ratio:rate15m',
            // No series while no template is requested (the ratio of nothing is not low).
            expr: |||
              sum by (%(i)s, job) (rate(keel_template_cache_hits_total{%(node)s}[15m]))
                / (sum by (%(i)s, job) (rate(keel_template_cache_hits_total{%(node)s}[15m]) + rate(keel_template_cache_misses_total{%(node)s}[15m])) > 0)
            ||| % { i: i, node: c.nodeSelector },
          },
          { record: 'keel:peers:sum', expr: 'sum by (%s, job) (keel_peers{%s})' % [i, c.nodeSelector] },
          { record: 'keel:mining_hashes:rate1m', expr: 'sum by (%s, job) (rate(keel_mining_hashes_total{%s}[1m]))' % [i, c.nodeSelector] },
          { record: 'keel:sync_lag_blocks', expr: 'max by (%s, job) (keel_p2p_best_peer_height{%s} - keel_chain_height{%s})' % [i, c.nodeSelector, c.nodeSelector] },
          { record: 'keel_sidecar:webhook_deliveries:rate15m', expr: 'sum by (%s, job, result) (rate(keel_sidecar_webhook_deliveries_total{%s}[15m]))' % [i, c.sidecarSelector] },
        ],
      },
    ],
  },
}
