#!/usr/bin/env bash
# Rows for national-scale scores: the country's tree (34 provinces, each with its public
# administrative service center and 97 communes) with generated responses over one year, the
# country's year and one province's year from the rollups, p50 / p99, on SQLite and on
# PostgreSQL (a throwaway cluster from scripts/test-postgres), side by side. The size is
# SIPAS_BENCH_NATIONAL_SIZES (default 1,000,000 to keep scripts/bench short; the README's figure
# comes from a run with 2000000,20000000). See bench/README.md for the contract.
set -euo pipefail
bin="$SIPAS_BENCH_BUILD/bin/sipas-bench-national"
sizes="${SIPAS_BENCH_NATIONAL_SIZES:-1000000}"
repeat="${SIPAS_BENCH_NATIONAL_REPEAT:-20}"
dir=$(mktemp -d "${TMPDIR:-/tmp}/sipas-bench-national.XXXXXX")
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/sipas-bench-pg.XXXXXX")  # its own: PostgreSQL's user enters it
cleanup() {
  bash scripts/test-postgres stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

sqlite=$("$bin" --db "$dir/national.db" --sizes "$sizes" --repeat "$repeat")
rm -f "$dir"/national.db*
cluster=$(bash scripts/test-postgres start "$pgdir")
psql "$cluster" -qc "CREATE DATABASE national" >&2
pg=$("$bin" --db "postgresql:///national?host=$pgdir&user=sipas" --sizes "$sizes" --repeat "$repeat")

python3 - "$sqlite" "$pg" <<'PY'
import json, sys
for text in sys.argv[1:]:
    r = json.loads(text)
    store = "SQLite" if r["store"] == "sqlite" else "PostgreSQL 15"
    for run in r["runs"]:
        n = f"{run['responses'] / 1e6:g} M"
        print(f"| server | scores, country-year, {n} responses, {store} | "
              f"{run['country_p50_ms']:.1f} / {run['country_p99_ms']:.1f} ms | p50 / p99 of "
              f"{r['repeat']}, from rollups; {r['units']} units (34 provinces, their centers and "
              f"communes); with the extras (previous year, ranking of the provinces) "
              f"{run['country_extras_p50_ms']:.1f} / {run['country_extras_p99_ms']:.1f} ms |")
        print(f"| server | scores, province-year, {n} responses, {store} | "
              f"{run['province_p50_ms']:.1f} / {run['province_p99_ms']:.1f} ms | p50 / p99; "
              f"{run['province_responses']} responses in the province, 98 units below it; with the "
              f"extras {run['province_extras_p50_ms']:.1f} / {run['province_extras_p99_ms']:.1f} ms; "
              f"equal to the raw rows ({run['province_raw_ms']:.0f} ms): "
              f"{'yes' if run['equal'] else 'NO'} |")
        print(f"| server | national database, {n} responses, {store} | "
              f"{run['bytes'] / 1e9:.1f} GB | generated in {run['generate_s'] / 60:.1f} min, "
              f"rollups {run['rollups_s'] / 60:.1f} min; raw JSON columns left empty (a real row "
              f"carries about 0.9 kB more) |")
PY
