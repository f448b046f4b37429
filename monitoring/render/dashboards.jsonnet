(import '../mixin.libsonnet').grafanaDashboards
