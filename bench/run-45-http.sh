#!/usr/bin/env bash
# Rows for the server's HTTP layer: latency of GET /healthz and of the dashboard's overview page,
# first with nothing else going on, then beside 1,000 idle kept-alive and 100 slow-header
# connections, for this tree's sipas-server and, side by side, for the baseline commit's
# (cpp-httplib, 8 worker threads; $SIPAS_BENCH_BASELINE, default 0949acc), both run as binaries on
# the same database. The baseline is built once from `git archive` into
# $SIPAS_BENCH_BUILD/baseline-REV/. See bench/README.md for the contract.
set -euo pipefail
build="$SIPAS_BENCH_BUILD"
client="$build/bin/sipas-bench-http"
server="$build/bin/sipas-server"
rev="${SIPAS_BENCH_BASELINE:-0949acc}"
baseline_build="$build/baseline-$rev"
baseline="$baseline_build/bin/sipas-server"
idle=1000
slow=100
requests=200
timeout=10
loaded_seconds=40

dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

if [ ! -x "$baseline" ]; then
  echo "run-45-http: building the baseline sipas-server ($rev)" >&2
  mkdir -p "$dir/baseline-src"
  git -C "$SIPAS_SOURCE_DIR" archive "$rev" | tar -x -C "$dir/baseline-src"
  cmake -S "$dir/baseline-src" -B "$baseline_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSIPAS_BUILD_TESTS=OFF -DSIPAS_BUILD_BENCH=OFF -DSIPAS_BUILD_KIOSK=OFF \
    -DSIPAS_BUILD_E2E=OFF >&2
  cmake --build "$baseline_build" --target sipas-server -j"$(nproc)" >&2
fi

"$client" setup --db "$dir/bench.db" --responses 2000 >&2
new_session=$("$client" session --db "$dir/bench.db")
# The baseline serves a copy taken back to the schema it knows (version 5 at 0949acc; it refuses
# a newer one): answers and reasons keyed by the response id again, the burst index by answer
# set, and the tables added since taken away (responses keep their row number column, which the
# baseline does not name).
cp "$dir/bench.db" "$dir/baseline.db"
old_session=$("$client" session --db "$dir/baseline.db")
sqlite3 "$dir/baseline.db" <<'SQL'
CREATE TABLE old_answers(response_id TEXT NOT NULL, criterion TEXT NOT NULL, value INTEGER,
  PRIMARY KEY(response_id, criterion)) WITHOUT ROWID;
INSERT INTO old_answers SELECT r.id, a.criterion, a.value
  FROM answers a JOIN responses r ON r.rid = a.response_rid;
CREATE TABLE old_reasons(response_id TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY(response_id, reason)) WITHOUT ROWID;
INSERT INTO old_reasons SELECT r.id, x.reason FROM reasons x JOIN responses r ON r.rid = x.response_rid;
DROP TABLE answers;
DROP TABLE reasons;
ALTER TABLE old_answers RENAME TO answers;
ALTER TABLE old_reasons RENAME TO reasons;
DROP INDEX responses_kiosk_time;
CREATE INDEX responses_burst ON responses(kiosk_id, answers_key, submitted_ms);
DROP TABLE rollup_below_day;
DROP TABLE rollup_below_month;
DROP TABLE login_failures;
PRAGMA user_version = 5;
SQL

# measure BINARY DB SESSION [FLAGS...]: serves DB with BINARY, prints the client's JSON. Runs in
# this shell (not in $(...)), so that the trap can stop the server it started.
measure() {
  local binary=$1 db=$2 session=$3
  shift 3
  "$binary" serve --db "$db" --listen 127.0.0.1:0 --access-log /dev/null "$@" \
    >"$dir/serve.out" 2>"$dir/serve.err" &
  pid=$!
  local port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/^sipas-server: listening on .*:\([0-9][0-9]*\)$/\1/p' "$dir/serve.out")
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    cat "$dir/serve.err" >&2
    echo "run-45-http: $binary did not start" >&2
    return 1
  fi
  "$client" measure --session "$session" --port "$port" --requests "$requests" --idle "$idle" \
    --slow "$slow" --timeout "$timeout" --loaded-seconds "$loaded_seconds"
  kill "$pid"
  wait "$pid" || true
  pid=""
}

# Every load connection comes from 127.0.0.1: the per-address limit is lifted so that the model,
# not the limit, is what is measured.
measure "$server" "$dir/bench.db" "$new_session" --max-connections-per-address 0 >"$dir/new.json"
measure "$baseline" "$dir/baseline.db" "$old_session" >"$dir/old.json"

python3 - "$dir/new.json" "$dir/old.json" "$rev" <<'PY'
import json, sys
new, old, rev = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]

def fig(s):
    t = s["timeout_ms"] / 1000
    if s["answered"] == 0:
        return f"no answer within {t:.0f} s (0 of {s['attempted']})"
    text = f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f} ms"
    if s["answered"] < s["attempted"]:
        text += f" ({s['answered']} of {s['attempted']} answered; the rest count as {t:.0f} s)"
    return text

def ratio(a, b):
    return f"{a['p50_ms'] / b['p50_ms']:.1f}x" if b["p50_ms"] > 0 and a["answered"] and b["answered"] else "-"

load = (f"{new['loaded']['idle']} idle kept-alive + {new['loaded']['slow']} slow-header "
        "connections held open (reopened when closed)")
rows = []
for key, name in (("healthz", "/healthz"), ("page", "dashboard overview")):
    nq, nl = new["quiet"][key], new["loaded"][key]
    oq, ol = old["quiet"][key], old["loaded"][key]
    rows.append(("server http", f"{name} p50 / p99, quiet", fig(nq),
                 f"each request on a new connection, {nq['attempted']} requests; "
                 f"baseline {rev} (cpp-httplib, 8 threads): {fig(oq)}; p50 ratio new/baseline {ratio(nq, oq)}"))
    rows.append(("server http", f"{name} p50 / p99, under load", fig(nl),
                 f"{load}; {ratio(nl, nq)} the quiet p50; baseline {rev}: {fig(ol)}"))
for row in rows:
    print("| " + " | ".join(row) + " |")
PY
