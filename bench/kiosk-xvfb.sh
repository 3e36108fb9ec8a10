# Sourced by the kiosk's run scripts (bench/run-30-kiosk.sh, bench/run-35-taps.sh): the kiosk
# binary, a temporary folder removed on exit with every process in `pids`, the sample
# configuration copied there with the server out of reach and counter-short active (plus the
# `key=json` overrides given), Xvfb at 1920x1080 with software OpenGL, and helpers that read the
# kiosk's --ui-dump. Usage: kiosk_bench_setup NAME [key=json ...]
kiosk_bench_setup() {
  bench_name=$1; shift
  build="${SIPAS_BENCH_BUILD:-$(pwd)/build}"
  src="${SIPAS_SOURCE_DIR:-$(pwd)}"
  kiosk="$build/bin/sipas-kiosk"
  [ -x "$kiosk" ] || { echo "$bench_name: $kiosk not built" >&2; exit 1; }
  for tool in Xvfb xdotool python3; do
    command -v "$tool" >/dev/null || { echo "$bench_name: $tool missing" >&2; exit 1; }
  done
  work="$(mktemp -d "/tmp/sipas-$bench_name.XXXXXX")"
  pids=()
  trap kiosk_bench_cleanup EXIT
  cp -r "$src/kiosk-config" "$work/config"
  python3 - "$work" "$@" <<'PY'
import json, sys
work = sys.argv[1]
p = f"{work}/config/kiosk.json"
j = json.load(open(p))
j["server"]["url"] = "http://127.0.0.1:1"
j["active_survey"] = "counter-short"
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    j[k] = json.loads(v)
json.dump(j, open(p, "w"), ensure_ascii=False)
PY
  exec 3> "$work/display"
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp 2>/dev/null &
  pids+=($!)
  exec 3>&-
  for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
  export DISPLAY=":$(head -n1 "$work/display")"
  export LIBGL_ALWAYS_SOFTWARE=1
  echo "$bench_name: Xvfb on $DISPLAY" >&2
}

kiosk_bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

screen_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["screen"])' "$1" 2>/dev/null || true; }

wait_screen() {  # dump, screen
  for _ in $(seq 400); do [ "$(screen_of "$1")" = "$2" ] && return 0; sleep 0.05; done
  echo "$bench_name: no $2 screen in $1" >&2; return 1
}

element_center() {  # dump, id
  python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["elements"]:
    if e["id"] == sys.argv[2]:
        print(e["x"] + e["w"] // 2, e["y"] + e["h"] // 2)' "$1" "$2"
}

tap() {  # dump, id: taps the element, then waits out the repeated-tap filter
  local x y
  read -r x y < <(element_center "$1" "$2")
  [ -n "${y:-}" ] || { echo "$bench_name: no element $2 in $1" >&2; return 1; }
  xdotool mousemove "$x" "$y" click 1
  sleep 0.4
}

choose() {  # dump, id: taps an answer, then waits while the choice shows (0.4 s) and the next
            # screen ignores taps (0.6 s)
  tap "$1" "$2"
  sleep 0.8
}
