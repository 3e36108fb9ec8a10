#!/usr/bin/env bash
# One row: the period report written as PDF (doc::to_pdf) for a ten-page report-shaped document,
# median of 10 runs after a warm-up. See bench/README.md for the contract.
set -euo pipefail
json=$("$SIPAS_BENCH_BUILD/bin/sipas-bench-pdf" --repeat 10)
python3 - "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"| server | report as PDF, {r['pages']} pages | {r['median_ms']:.1f} ms | "
      f"doc::to_pdf (cairo + pango), {r['bytes'] // 1024} KB; median of {r['runs']} |")
PY
