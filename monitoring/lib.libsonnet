// Small helpers shared by the mixin's files.
{
  // 900 -> '15m', 3600 -> '1h', 45 -> '45s': a Prometheus duration from seconds.
  duration(seconds)::
    if seconds == 0 then '0s'
    else if seconds % 3600 == 0 then '%dh' % (seconds / 3600)
    else if seconds % 60 == 0 then '%dm' % (seconds / 60)
    else '%ds' % seconds,

  // A stat panel whose series `field` is a 0/1 state: each value shown as a word with its colour
  // (never the colour alone), e.g. states(p, 'up', [['down', 'red'], ['up', 'green']]).
  states(panel, field, words):: panel + {
    fieldConfig+: {
      overrides+: [{
        matcher: { id: 'byName', options: field },
        properties: [
          { id: 'mappings', value: [{ type: 'value', options: { [std.toString(i)]: { text: words[i][0], color: words[i][1] } for i in std.range(0, std.length(words) - 1) } }] },
          { id: 'thresholds', value: { mode: 'absolute', steps: [{ color: words[0][1], value: null }] + [{ color: words[i][1], value: i } for i in std.range(1, std.length(words) - 1)] } },
          { id: 'color', value: { mode: 'thresholds' } },
        ],
      }],
    },
  },

  // A threshold as the rules and descriptions print it (0.25, 5, 900).
  figure(value):: if value == std.floor(value) then '%d' % value else '%g' % value,
}
