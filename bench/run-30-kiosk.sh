#!/usr/bin/env bash
# The kiosk's figures under Xvfb at 1920x1080 (software OpenGL): CPU share on the idle welcome
# screen with the event-driven loop beside the same screen redrawn continuously at 60 Hz (what
# the usual ImGui loop does with vsync), CPU time per frame on a question screen, time from launch
# to the first frame, and peak memory. Prints table rows only; progress goes to stderr.
set -euo pipefail

idle_seconds="${SIPAS_BENCH_KIOSK_IDLE_SECONDS:-60}"
frame_seconds=10
# shellcheck source=bench/kiosk-xvfb.sh
source "$(dirname "$0")/kiosk-xvfb.sh"
kiosk_bench_setup run-30-kiosk

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now_ms() { date +%s%3N; }
cpu_share() {  # pid, seconds -> percent of one core
  local t0 t1 hz
  hz=$(getconf CLK_TCK)
  t0=$(ticks "$1"); sleep "$2"; t1=$(ticks "$1")
  python3 -c "print(f'{($t1 - $t0) / $hz / $2 * 100:.2f}')"
}
start_kiosk() {  # name, extra args...
  local name=$1; shift
  rm -f "$work/$name.json" "$work/$name.db"*
  local t0; t0=$(now_ms)
  "$kiosk" --config "$work/config" --db "$work/$name.db" --windowed 1920x1080 \
    --ui-dump "$work/$name.json" "$@" 2>>"$work/kiosk.log" &
  kpid=$!
  pids+=("$kpid")
  for _ in $(seq 2000); do [ -s "$work/$name.json" ] && break; sleep 0.005; done
  first_frame_ms=$(( $(now_ms) - t0 ))
  wait_screen "$work/$name.json" welcome
}

echo "run-30-kiosk: event-driven welcome, ${idle_seconds} s" >&2
start_kiosk idle
idle_first_frame=$first_frame_ms
sleep 2
idle_cpu=$(cpu_share "$kpid" "$idle_seconds")
idle_rss=$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")
kill "$kpid"; wait "$kpid" 2>/dev/null || true

echo "run-30-kiosk: continuously redrawn welcome, ${idle_seconds} s" >&2
start_kiosk busy --continuous-redraw --stats-file "$work/stats.json"
sleep 2
busy_cpu=$(cpu_share "$kpid" "$idle_seconds")

echo "run-30-kiosk: question screen, ${frame_seconds} s of frames" >&2
# The welcome's faces answer the first question; the sample counter lists procedures, so the
# procedure screen comes next.
choose "$work/busy.json" answer-4
wait_screen "$work/busy.json" procedure
choose "$work/busy.json" procedure.skip
wait_screen "$work/busy.json" question
sleep 1.5
frames() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frames"])' "$work/stats.json"; }
f0=$(frames); c0=$(ticks "$kpid")
sleep "$frame_seconds"
f1=$(frames); c1=$(ticks "$kpid")
hz=$(getconf CLK_TCK)
per_frame=$(python3 -c "print(f'{($c1 - $c0) / $hz * 1000 / max(1, $f1 - $f0):.2f}')")
busy_rss=$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")
kill "$kpid"; wait "$kpid" 2>/dev/null || true

note="Xvfb 1920x1080, Mesa llvmpipe, $(nproc) cores shared"
echo "| kiosk | CPU on idle welcome, event-driven loop | ${idle_cpu} % | of one core over ${idle_seconds} s; $note |"
echo "| kiosk | CPU on idle welcome, continuous redraw | ${busy_cpu} % | same screen redrawn at 60 Hz (the usual ImGui loop), same run |"
echo "| kiosk | CPU per frame, question screen | ${per_frame} ms | $((f1 - f0)) frames over ${frame_seconds} s, software rendering |"
echo "| kiosk | launch to first frame | ${idle_first_frame} ms | process start to the first --ui-dump write (fonts, GL, store open) |"
echo "| kiosk | peak RSS | $((idle_rss / 1024)) MiB | VmHWM on welcome; $((busy_rss / 1024)) MiB after question frames |"
