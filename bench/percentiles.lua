-- wrk script for bench/run.py: bounded runs and exact percentiles as one JSON line.
--
-- WRK_MAX_REQUESTS  each thread stops after this many responses (the run is also bounded by -d)
-- WRK_PATHS         newline-separated request paths to rotate through (default: the URL's path)

local max_requests = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0")
local paths = {}
for path in (os.getenv("WRK_PATHS") or ""):gmatch("[^\n]+") do
  table.insert(paths, path)
end

local sent = 0
local received = 0

request = function()
  sent = sent + 1
  if #paths > 0 then
    return wrk.format("GET", paths[((sent - 1) % #paths) + 1])
  end
  return wrk.request()
end

response = function(status, headers, body)
  received = received + 1
  if max_requests > 0 and received >= max_requests then
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local ms = function(us) return us / 1000.0 end
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "non_2xx_3xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p90_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(95)),
    ms(latency:percentile(99)), ms(latency.max), ms(latency.mean)))
end
