-- wrk script for bench/run.py: POST the JSON body in $BENCH_BODY_FILE (with the Authorization
-- header in $BENCH_AUTHORIZATION, when set), count the requests sent (answered or still in
-- flight when wrk stops), then print the figures as one JSON line.

local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  sent = 0
end

function request()
  sent = sent + 1
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  -- wrk calls request() once more, on the first thread, to check the script before the run.
  local total_sent = -1
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
  end
  io.write(string.format(
    'BENCH_JSON {"sent":%d,"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d}}\n',
    total_sent, summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
