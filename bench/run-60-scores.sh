#!/usr/bin/env bash
# Rows for the server's scores: a province-year GET /api/v1/scores query (the ScoreService call
# behind it) over 1 and 5 million responses, answered from the daily rollups and computed from the
# raw rows, side by side. See bench/README.md for the contract.
set -euo pipefail
bin="$SIPAS_BENCH_BUILD/bin/sipas-bench-scores"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
json=$("$bin" --db "$dir/scores.db" --sizes 1000000,5000000 --repeat 5)

python3 - "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
for run in r["runs"]:
    n = f"{run['responses'] / 1e6:.0f} M"
    note = (f"province (220 units), one year, SPEC shape; median of 5; "
            f"answers equal: {'yes' if run['equal'] else 'NO'}")
    print(f"| server | scores, province-year, {n} responses, from rollups | {run['rollups_ms']:.1f} ms | {note} |")
    print(f"| server | scores, province-year, {n} responses, rollups + extras | {run['rollups_extras_ms']:.1f} ms | "
          "with previous period, child-unit ranking, fix-first, reasons, Mẫu 01 |")
    print(f"| server | scores, province-year, {n} responses, from raw rows | {run['raw_ms']:.0f} ms | "
          "same query computed from responses/answers/reasons; one run |")
PY
