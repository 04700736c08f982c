-- POST pre-signed webhook bodies, one per request, each thread its own slice.
-- BENCH_BODIES names a file of "signature<TAB>body" lines; BENCH_THREADS the
-- thread count given to wrk -t.

local bodies_path = os.getenv("BENCH_BODIES")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  signatures = {}
  bodies = {}
  for line in io.lines(bodies_path) do
    local tab = line:find("\t", 1, true)
    signatures[#signatures + 1] = line:sub(1, tab - 1)
    bodies[#bodies + 1] = line:sub(tab + 1)
  end
  sent = 0
  ok = 0
  failed = 0
end

function request()
  local index = (sent * thread_count + thread_index) % #bodies + 1
  sent = sent + 1
  return wrk.format("POST", "/webhook", {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = signatures[index],
  }, bodies[index])
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local total_sent, total_ok, total_failed = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
    total_ok = total_ok + thread:get("ok")
    total_failed = total_failed + thread:get("failed")
  end
  io.write(string.format("BENCH sent=%d ok=%d failed=%d\n", total_sent, total_ok, total_failed))
  io.write(string.format(
    "BENCH p50_ms=%.2f p99_ms=%.2f max_ms=%.2f duration_s=%.3f requests=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.duration / 1e6, summary.requests))
end
