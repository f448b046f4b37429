(import 'keel-node.libsonnet') + (import 'keel-sidecar.libsonnet')
