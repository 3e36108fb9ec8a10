#!/usr/bin/env bash
# Rows for the server's ingest: several simulated kiosks posting gzip batches concurrently to a
# real sipas server on loopback; responses per second, and where the server's time goes (JSON
# parsing and validation vs. the SQLite transaction), measured inside the server. The same 8-kiosk
# run then goes to PostgreSQL (a throwaway cluster from scripts/test-postgres, fsync on, as a
# province would run it), side by side, with the CPU per response of the server and the database.
# See bench/README.md for the contract.
set -euo pipefail
bin="$SIPAS_BENCH_BUILD/bin/sipas-bench-ingest"
kiosks=8
per_kiosk=10000
batch=500
json=$("$bin" --kiosks "$kiosks" --responses-per-kiosk "$per_kiosk" --batch "$batch")
# A province's worth of kiosks at once, each on its own kept-alive connection.
many=$("$bin" --kiosks 300 --responses-per-kiosk 1000 --batch "$batch")

pgdir=$(mktemp -d /tmp/sipas-bench-pg.XXXXXX)
trap 'bash scripts/test-postgres stop "$pgdir"' EXIT
cluster=$(bash scripts/test-postgres start "$pgdir" --durable)
psql "$cluster" -qc "CREATE DATABASE ingest" >&2
pg=$(SIPAS_BENCH_PGDATA="$pgdir/data" "$bin" --kiosks "$kiosks" --responses-per-kiosk "$per_kiosk" \
  --batch "$batch" --db "postgresql:///ingest?host=$pgdir&user=sipas")

python3 - "$json" "$many" "$pg" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
m = json.loads(sys.argv[2])
p = json.loads(sys.argv[3])
pct = lambda x: f"{100 * x:.0f} %"
rows = [
    ("server", "ingest, concurrent kiosks", f"{r['responses_per_s']:.0f} responses/s",
     f"{r['kiosks']} kiosks x {r['responses'] // r['kiosks']} responses in gzip batches of {r['batch']}, "
     f"{r['server_threads']} server threads, loopback, {r['wall_s']:.1f} s in all"),
    ("server", "ingest: JSON parse + validation, share of CPU", pct(r["parse_cpu_share"]),
     f"{r['parse_cpu_us_per_response']:.0f} us CPU/response (parse, checks, canonical JSON + SHA-256 "
     f"twice); elapsed share {pct(r['parse_share'])}; runs in parallel on the workers"),
    ("server", "ingest: SQLite, share of CPU", pct(r["sqlite_cpu_share"]),
     f"{r['sqlite_cpu_us_per_response']:.0f} us CPU/response, {r['sqlite_us_per_response']:.0f} us elapsed "
     f"(fsync included; elapsed share {pct(r['sqlite_share'])}); one transaction per batch, WAL + "
     "synchronous=FULL, one writer at a time"),
    ("server", "ingest: gunzip, share of CPU", pct(r["read_cpu_share"]),
     "the rest of the handler time; bodies are received by the I/O threads, off the workers"),
    ("server", "ingest: SQLite writer busy", pct(r["sqlite_busy_of_wall"]),
     "of the wall time: how close the single writer is to saturation"),
    ("server", "ingest: bytes per response", f"{r['bytes_per_response_gzip']:.0f} B",
     f"gzip on the wire ({r['bytes_per_response_raw']:.0f} B as JSON)"),
    ("server", "ingest, 300 concurrent kiosks", f"{m['responses_per_s']:.0f} responses/s",
     f"{m['kiosks']} kiosks x {m['responses'] // m['kiosks']} responses in gzip batches of {m['batch']}, "
     f"each kiosk on its own kept-alive connection, {m['server_threads']} server threads; "
     f"{m['responses_per_s'] / r['responses_per_s']:.2f}x the {r['kiosks']}-kiosk figure; "
     f"SQLite writer busy {pct(m['sqlite_busy_of_wall'])}"),
    ("server", "ingest, concurrent kiosks, CPU per response (SQLite)",
     f"{r['process_cpu_us_per_response']:.0f} us",
     "the whole process (server and the simulated kiosks, which only send pre-built bodies)"),
    ("server", "ingest, concurrent kiosks, PostgreSQL 15", f"{p['responses_per_s']:.0f} responses/s",
     f"the same {p['kiosks']} kiosks x {p['responses'] // p['kiosks']} on a local cluster (fsync on): "
     f"{p['responses_per_s'] / r['responses_per_s']:.2f}x the SQLite figure in this run; "
     f"storage {p['sqlite_us_per_response']:.0f} us elapsed per response"),
    ("server", "ingest, concurrent kiosks, CPU per response (PostgreSQL)",
     f"{p['process_cpu_us_per_response'] + p['db_cpu_us_per_response']:.0f} us",
     f"{p['process_cpu_us_per_response']:.0f} us in the server process + "
     f"{p['db_cpu_us_per_response']:.0f} us in PostgreSQL's processes"),
    ("server", "/healthz p50 / p99 during the 300-kiosk upload",
     f"{m['healthz_p50_ms']:.2f} / {m['healthz_p99_ms']:.2f} ms",
     f"{m['healthz_requests']} requests, one every 100 ms on a new connection, beside the uploads; "
     "uploads run on at most 6 of the 8 workers"),
]
for row in rows:
    print("| " + " | ".join(row) + " |")
PY
