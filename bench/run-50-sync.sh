#!/usr/bin/env bash
# Rows for the uploader: draining a backlog of 100,000 responses from a kiosk database to a local
# sipas-server in batches of 500 (gzip, one kept-alive connection), beside one response per
# request over the first 10,000 responses of an identical backlog (a second kiosk), scaled to
# 100,000. Both drains run against the same server in the same run, the kiosk databases on disk
# under $TMPDIR (they were generated on tmpfs, then copied). See bench/README.md for the contract.
set -euo pipefail
bin="$SIPAS_BENCH_BUILD/bin"
src="$SIPAS_SOURCE_DIR"
full=100000
single=10000

work=$(mktemp -d "${TMPDIR:-/tmp}/sipas-bench-sync.XXXXXX")
gen=$(mktemp -d /dev/shm/sipas-bench-sync.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/sipas-bench-sync-gen.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work" "$gen"
}
trap cleanup EXIT

cp -r "$src/kiosk-config" "$work/config"
read -r kiosk unit < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print(c["kiosk_id"], c["unit"]["code"])' "$work/config/kiosk.json")

server="$bin/sipas-server"
db="$work/server.db"
"$server" unit add --db "$db" --code "$unit" --name "bench unit" >&2
"$server" kiosk add --db "$db" --kiosk-id "$kiosk" --unit "$unit" > "$work/batched.token"
"$server" kiosk add --db "$db" --kiosk-id "$kiosk-single" --unit "$unit" > "$work/single.token"
chmod 600 "$work"/*.token

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" serve --db "$db" --listen "127.0.0.1:$port" --surveys "$work/config/surveys" \
  --rate-limit 0 --access-log "$work/access.log" >&2 &
server_pid=$!
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null

echo "run-50-sync: generating $full and $single responses" >&2
"$bin/sipas-bench-sync" generate --config "$work/config" --db "$gen/full.db" --count "$full"
"$bin/sipas-bench-sync" generate --config "$work/config" --db "$gen/single.db" --count "$single"
cp "$gen/full.db" "$work/full.db"
cp "$gen/single.db" "$work/single.db"
rm -rf "$gen"

echo "run-50-sync: draining in batches of 500" >&2
"$bin/sipas-bench-sync" drain --db "$work/full.db" --server "http://127.0.0.1:$port" \
  --token-file "$work/batched.token" --kiosk-id "$kiosk" --batch-size 500 > "$work/batched.json"
echo "run-50-sync: draining one response per request" >&2
"$bin/sipas-bench-sync" drain --db "$work/single.db" --server "http://127.0.0.1:$port" \
  --token-file "$work/single.token" --kiosk-id "$kiosk-single" --batch-size 1 > "$work/single.json"

python3 - "$work/batched.json" "$work/single.json" "$full" <<'PY'
import json, sys

b = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
full = int(sys.argv[3])

def rate(r):
    return r["responses"] / r["seconds"]

def wire(r):
    return (r["bytes_sent"] + r["bytes_received"]) / r["responses"]

scaled = full / rate(s)
rows = [
    ("sync", f"drain {b['responses']:,} responses, batches of 500", f"{b['seconds']:.1f} s",
     f"{b['requests']} requests over {b['connections']} connection(s), gzip, kiosk DB on disk"),
    ("sync", "drain rate, batches of 500", f"{rate(b):,.0f} /s", "responses settled on both sides"),
    ("sync", "bytes on the wire per response, batches of 500", f"{wire(b):.0f} B",
     f"up {b['bytes_sent'] / b['responses']:.0f} B + down {b['bytes_received'] / b['responses']:.1f} B, HTTP headers included"),
    ("sync", "one response per request: rate", f"{rate(s):,.0f} /s",
     f"first {s['responses']:,} responses of the same backlog, same server, same run"),
    ("sync", f"one response per request: {full:,} responses", f"{scaled:.0f} s",
     f"scaled from {s['responses']:,} ({s['seconds']:.1f} s)"),
    ("sync", "one response per request: bytes per response", f"{wire(s):.0f} B",
     f"up {s['bytes_sent'] / s['responses']:.0f} B + down {s['bytes_received'] / s['responses']:.0f} B"),
    ("sync", "batching speed-up", f"{rate(b) / rate(s):.1f}x", "batches of 500 vs one per request"),
]
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
