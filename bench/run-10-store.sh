#!/usr/bin/env bash
# Rows for the response store: commit latency of one response beside a bare SQLite insert+commit,
# and tally + scoring over about one million stored answers. See bench/README.md for the contract.
set -euo pipefail
bin="$SIPAS_BENCH_BUILD/bin/sipas-bench-store"
out=$(mktemp "${TMPDIR:-/tmp}/sipas-bench-store.XXXXXX.json")
trap 'rm -f "$out"' EXIT

"$bin" --benchmark_out="$out" --benchmark_out_format=json >/dev/null

python3 - "$out" <<'PY'
import json, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]

def agg(name, stat):
    for r in runs:
        if r.get("run_name", "").split("/")[0] == name and r.get("aggregate_name") == stat:
            scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[r["time_unit"]]
            return r["real_time"] * scale, r
    sys.exit(f"run-10-store: no {stat} for {name} in the benchmark output")

def fmt(ms):
    return f"{ms:.3f} ms" if ms < 10 else f"{ms:.0f} ms"

def reps(name):
    return next(r["repetitions"] for r in runs if r.get("run_name", "").split("/")[0] == name)

ap50, r50 = agg("BM_AppendVsBareCommit", "p50")
ap99, r99 = agg("BM_AppendVsBareCommit", "p99")
bp50, bp99 = r50["bare_ms"], r99["bare_ms"]
n = reps("BM_AppendVsBareCommit")
tally, t = agg("BM_TallyAndScoreLikert1M", "median")
opened, _ = agg("BM_OpenWithQuickCheck1M", "median")
answers = int(t.get("answers", 0))

rows = [
    ("store", "append commit p50", fmt(ap50),
     f"ResponseStore::append, 6 answers, {n} samples, WAL + synchronous=FULL"),
    ("store", "append commit p99", fmt(ap99), "same run"),
    ("store", "bare insert+commit p50", fmt(bp50),
     "one-row INSERT in BEGIN IMMEDIATE/COMMIT, same pragmas, interleaved with the appends"),
    ("store", "bare insert+commit p99", fmt(bp99), "same run"),
    ("store", "append / bare ratio p50", f"{ap50 / bp50:.2f}", "target < 2"),
    ("store", "append / bare ratio p99", f"{ap99 / bp99:.2f}", ""),
    ("store", "tally + score_likert, 1M answers", fmt(tally),
     f"{answers} valid answers, 170000 responses over 365 local days, median of {reps('BM_TallyAndScoreLikert1M')}"),
    ("store", "open with quick_check, 1M answers", fmt(opened), "kiosk start-up on a year of data"),
]
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
