// The Keel monitoring mixin: `_config`, `prometheusAlerts`, `prometheusRules`,
// `grafanaDashboards`, and `sidecarAlertModel` (the shared alerts, for the sidecar).
(import 'config.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
