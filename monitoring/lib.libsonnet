// Small helpers shared by the mixin's files.
{
  // 900 -> '15m', 3600 -> '1h', 45 -> '45s': a Prometheus duration from seconds.
  duration(seconds)::
    if seconds == 0 then '0s'
    else if seconds % 3600 == 0 then '%dh' % (seconds / 3600)
    else if seconds % 60 == 0 then '%dm' % (seconds / 60)
    else '%ds' % seconds,

  // A threshold as the rules and descriptions print it (0.25, 5, 900).
  figure(value):: if value == std.floor(value) then '%d' % value else '%g' % value,
}
