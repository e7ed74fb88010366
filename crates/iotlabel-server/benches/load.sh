#!/usr/bin/env bash
# Registry HTTP benchmark: loads COUNT (default 100,000) published labels into a fresh SQLite
# database (examples/load_labels.rs), starts `iotlabel serve` (release) on 127.0.0.1, and runs
# wrk against /healthz (the trivial endpoint), label lookup by random id, the public product
# page (HTML) by random id, and a mix of label searches, at a few connection counts. Prints a Markdown table: requests/s, p50, p99, and the
# ratio to /healthz at the same connection count in the same run. Then stops the server.
#
# Needs: wrk (apt-get install wrk) and curl. Settings: COUNT (at least 50,000: one search
# looks for the digits of label 45,123), PORT (18080), DURATION (10s),
# CONNECTIONS ("8 32 128"), THREADS (2). Loopback only. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
count=${COUNT:-100000}
port=${PORT:-18080}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-"8 32 128"}
threads=${THREADS:-2}
base="http://127.0.0.1:$port"
work=$(mktemp -d /tmp/iotlabel-load.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p iotlabel
cargo build --release -q -p iotlabel-server --example load_labels
database="sqlite://$work/registry.sqlite?mode=rwc"

echo "loading $count labels..." >&2
"$root/target/release/examples/load_labels" "$database" "$work" "$count" "$work/ids.txt" "$base" \
  2> >(tail -1 >&2)

DATABASE_URL="$database" "$root/target/release/iotlabel" serve --bind "127.0.0.1:$port" \
  --data-dir "$work" --public-url "$base" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

# Shared wrk hooks: one seed per thread, and a RESULT line with requests, duration (µs),
# p50 and p99 (µs), non-2xx/3xx responses and socket errors.
cat >"$work/common.lua" <<'EOF'
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
EOF
cat >"$work/healthz.lua" <<'EOF'
dofile(os.getenv("WORK") .. "/common.lua")
EOF
cat >"$work/lookup.lua" <<'EOF'
dofile(os.getenv("WORK") .. "/common.lua")
local ids = {}
function init(args)
  math.randomseed(seed * 7919 + os.time())
  for line in io.lines(os.getenv("WORK") .. "/ids.txt") do ids[#ids + 1] = line end
end
function request()
  return wrk.format("GET", "/api/labels/" .. ids[math.random(#ids)])
end
EOF
# The public product page a label's QR code opens (HTML, rendered on the server).
cat >"$work/product.lua" <<'EOF'
dofile(os.getenv("WORK") .. "/common.lua")
local ids = {}
function init(args)
  math.randomseed(seed * 7919 + os.time())
  for line in io.lines(os.getenv("WORK") .. "/ids.txt") do ids[#ids + 1] = line end
end
function request()
  return wrk.format("GET", "/labels/" .. ids[math.random(#ids)])
end
EOF
# Searches people make on a public register: a word of a product name, a brand, digits of a
# model or registration id, an exact manufacturer, and a filtered listing (category, level,
# status); the first page of 20 each time.
cat >"$work/search.lua" <<'EOF'
dofile(os.getenv("WORK") .. "/common.lua")
local paths = {
  "/api/labels?q=camera",
  "/api/labels?q=northwind",
  "/api/labels?q=045123",
  "/api/labels?manufacturer=Lumen%20Networks%20Pte%20Ltd",
  "/api/labels?category=smart-lock&level=2&status=valid",
}
function init(args)
  math.randomseed(seed * 7919 + os.time())
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
EOF
export WORK="$work"

# Every search must answer 200 with labels before it is timed.
for path in "/api/labels?q=camera" "/api/labels?q=northwind" "/api/labels?q=045123" \
  "/api/labels?manufacturer=Lumen%20Networks%20Pte%20Ltd" \
  "/api/labels?category=smart-lock&level=2&status=valid" "/api/labels/$(head -1 "$work/ids.txt")"; do
  curl -fsS "$base$path" | grep -q registration_id || { echo "no labels from $path" >&2; exit 1; }
done
curl -fsS "$base/labels/$(head -1 "$work/ids.txt")" | grep -q 'id="label-status"' \
  || { echo "no product page for $(head -1 "$work/ids.txt")" >&2; exit 1; }

# prints "rps p50_ms p99_ms errors" for one run
run() {
  local script=$1 path=$2 c=$3 t=$threads
  [ "$t" -gt "$c" ] && t=$c
  local out
  out=$(wrk -t"$t" -c"$c" -d"$duration" --timeout 10s -s "$work/$script.lua" "$base$path" | grep '^RESULT')
  # wrk keeps no latency for a response later than --timeout: print "timed out" then.
  echo "$out" | awk '{
    if ($5 == 0 && $6 + $7 > 0) { p50 = "timed_out"; p99 = "timed_out" }
    else { p50 = sprintf("%.2f_ms", $4 / 1000); p99 = sprintf("%.2f_ms", $5 / 1000) }
    printf "%.0f %s %s %d\n", $2 / ($3 / 1e6), p50, p99, $6 + $7 }'
}

echo "| endpoint | connections | requests/s | p50 | p99 | ratio to /healthz | errors |"
echo "|---|---|---|---|---|---|---|"
for c in $connections; do
  read -r h_rps h_p50 h_p99 h_err < <(run healthz /healthz "$c")
  echo "| /healthz | $c | $h_rps | ${h_p50//_/ } | ${h_p99//_/ } | 1.00 | $h_err |"
  read -r l_rps l_p50 l_p99 l_err < <(run lookup /api/labels "$c")
  echo "| lookup /api/labels/{id} | $c | $l_rps | ${l_p50//_/ } | ${l_p99//_/ } | $(awk "BEGIN { printf \"%.4f\", $l_rps / $h_rps }") | $l_err |"
  read -r p_rps p_p50 p_p99 p_err < <(run product /labels "$c")
  echo "| product page /labels/{id} | $c | $p_rps | ${p_p50//_/ } | ${p_p99//_/ } | $(awk "BEGIN { printf \"%.4f\", $p_rps / $h_rps }") | $p_err |"
  read -r s_rps s_p50 s_p99 s_err < <(run search /api/labels "$c")
  echo "| search /api/labels?… | $c | $s_rps | ${s_p50//_/ } | ${s_p99//_/ } | $(awk "BEGIN { printf \"%.4f\", $s_rps / $h_rps }") | $s_err |"
done
