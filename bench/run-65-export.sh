#!/usr/bin/env bash
# Rows for the raw-responses export: a real sipas-server on loopback sends a province-year of
# 500,000 responses as CSV and as XLSX; the server's peak resident memory while it does (the
# kernel's high-water mark, reset before each export), the time, and whether the file is whole
# and its formula-like text inert. See bench/README.md for the contract.
set -euo pipefail
build="$SIPAS_BENCH_BUILD"
server="$build/bin/sipas-server"
dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

rows=500000
# The province (220 units, one year) straight into the server's database, as the scores bench does.
"$build/bin/sipas-bench-scores" --db "$dir/server.db" --sizes "$rows" --repeat 1 >/dev/null
# Two responses carry text a spreadsheet would run: it must arrive inert.
python3 - "$dir/server.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""UPDATE responses SET comment = '=HYPERLINK("http://x","y")', counter = '+Q1'
              WHERE id IN ('r000000001', 'r000250000')""")
db.commit()
PY
printf 'bench-password\n' | "$server" user add --db "$dir/server.db" --user bench >&2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$server" serve --db "$dir/server.db" --listen "127.0.0.1:$port" --access-log "$dir/access.log" \
  >&2 2>"$dir/server.err" &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }
export_once() {  # format -> "seconds peak_kib base_kib bytes"
  local format=$1 out="$dir/raw.$1"
  local base
  base=$(kib VmRSS)
  echo 5 >"/proc/$pid/clear_refs"  # resets VmHWM to the current RSS
  local t0 t1
  t0=$(date +%s.%N)
  curl -sSf -u bench:bench-password -o "$out" \
    "http://127.0.0.1:$port/api/v1/reports?unit=22&from=2025-01-01&to=2025-12-31&kind=raw&format=$format"
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc) $(kib VmHWM) $base $(stat -c %s "$out")"
}

read -r csv_s csv_peak csv_base csv_bytes < <(export_once csv)
read -r xlsx_s xlsx_peak xlsx_base xlsx_bytes < <(export_once xlsx)

python3 - "$dir" "$rows" "$csv_s" "$csv_peak" "$csv_base" "$csv_bytes" \
  "$xlsx_s" "$xlsx_peak" "$xlsx_base" "$xlsx_bytes" <<'PY'
import csv, io, subprocess, sys
d, rows = sys.argv[1], int(sys.argv[2])
csv_s, csv_peak, csv_base, csv_bytes, xlsx_s, xlsx_peak, xlsx_base, xlsx_bytes = map(float, sys.argv[3:])
text = open(f"{d}/raw.csv", encoding="utf-8-sig").read()
table = list(csv.reader(io.StringIO(text)))
data = table[2:]  # title line, header
guarded = sum(1 for r in data for c in r if c.startswith("'=HYPERLINK")) == 2 and \
    sum(1 for r in data for c in r if c == "'+Q1") == 2 and \
    not any(c.startswith("=") for r in data for c in r)
sheet = subprocess.run(["unzip", "-p", f"{d}/raw.xlsx", "xl/worksheets/sheet1.xml"],
                       capture_output=True, check=True).stdout
xlsx_rows = sheet.count(b"<row ") - 1
xlsx_guarded = sheet.count(b"'=HYPERLINK") == 2
mb = lambda kib: kib / 1024
ok = lambda b: "yes" if b else "NO"
print(f"| server | raw export, {rows:,} responses, CSV: peak memory growth | "
      f"{mb(csv_peak - csv_base):.1f} MB | over {mb(csv_base):.0f} MB resident before; "
      f"{csv_bytes / 1e6:.0f} MB in {csv_s:.1f} s, streamed; rows complete: "
      f"{ok(len(data) == rows)}, formulas inert: {ok(guarded)} |")
print(f"| server | raw export, {rows:,} responses, XLSX: peak memory growth | "
      f"{mb(xlsx_peak - xlsx_base):.1f} MB | over {mb(xlsx_base):.0f} MB before; "
      f"{xlsx_bytes / 1e6:.0f} MB in {xlsx_s:.1f} s, constant-memory workbook; rows complete: "
      f"{ok(xlsx_rows == rows)}, formulas inert: {ok(xlsx_guarded)} |")
PY
