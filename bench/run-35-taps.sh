#!/usr/bin/env bash
# Taps on the comment keyboard at 1920x1080 under Xvfb (software OpenGL): rounds of 20 distinct
# keys sent through XTest at fixed spacings, against the kiosk's input queue (one press or release
# per frame) and, in the same run, against the merged input that Dear ImGui 1.86's SDL backend
# gives (--merge-input). Per mode: the fastest rate at which every key arrived in order, and the
# delay from each tap's press to the first frame that showed its letter (p50/p99). The send times
# come from this script's clock and the shown times from the kiosk's --stats-file, both
# CLOCK_MONOTONIC. Prints table rows only; progress goes to stderr.
set -euo pipefail

# shellcheck source=bench/kiosk-xvfb.sh
source "$(dirname "$0")/kiosk-xvfb.sh"
kiosk_bench_setup run-35-taps idle_timeout_seconds=600

# Starts the kiosk (extra args: its input mode) and taps through to the comment screen.
to_comment() {  # name, extra args...
  local name=$1; shift
  local dump="$work/$name.json"
  "$kiosk" --config "$work/config" --db "$work/$name.db" --windowed 1920x1080 --ui-dump "$dump" \
    --stats-file "$work/$name.stats.json" "$@" 2>>"$work/kiosk.log" &
  kpid=$!
  pids+=("$kpid")
  wait_screen "$dump" welcome
  choose "$dump" answer-2
  wait_screen "$dump" procedure
  choose "$dump" procedure.skip
  local step=1
  while [ "$(screen_of "$dump")" = question ]; do
    choose "$dump" answer-2
    step=$((step + 1))
    [ "$step" -le 40 ] || { echo "run-35-taps: too many questions" >&2; return 1; }
  done
  wait_screen "$dump" followup
  tap "$dump" reason-long_wait
  tap "$dump" next
  wait_screen "$dump" comment
  sleep 1
}

# Rounds of 20 keys at each spacing; prints one JSON line a round.
rounds() {  # name
  python3 - "$work/$1.json" "$work/$1.stats.json" <<'EOF'
import ctypes, json, sys, time
dump_path, stats_path = sys.argv[1], sys.argv[2]
x11 = ctypes.CDLL("libX11.so.6")
xtst = ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
d = x11.XOpenDisplay(None)
if not d:
    sys.exit("run-35-taps: cannot open the display")
centres = {e["id"]: (e["x"] + e["w"] // 2, e["y"] + e["h"] // 2)
           for e in json.load(open(dump_path))["elements"]}
keys = "bcghklmnpqtv12345678"  # distinct, and Telex leaves each as it is

def shown():
    try:
        return json.load(open(stats_path)).get("keys", [])
    except (OSError, ValueError):
        return []

backspace = x11.XKeysymToKeycode(d, 0xFF08)
for gap_ms in (100, 60, 40, 30, 20, 15):
    before = len(shown())
    sent = {}
    t0 = time.monotonic()
    for i, c in enumerate(keys):
        while time.monotonic() < t0 + i * gap_ms / 1000:
            time.sleep(0.0005)
        x, y = centres["key-" + c]
        xtst.XTestFakeMotionEvent(d, -1, x, y, 0)
        xtst.XTestFakeButtonEvent(d, 1, 1, 0)
        xtst.XTestFakeButtonEvent(d, 1, 0, 0)
        x11.XFlush(d)
        sent[c] = time.monotonic() * 1000
    # Settled: nothing new shown for 1.5 s (the kiosk writes its stats once it is idle).
    last, quiet_since, deadline = -1, time.monotonic(), time.monotonic() + 30
    while time.monotonic() < deadline:
        n = len(shown())
        if n != last:
            last, quiet_since = n, time.monotonic()
        elif time.monotonic() - quiet_since > 1.5:
            break
        time.sleep(0.1)
    new = shown()[before:]
    got = "".join(k["key"] for k in new)
    delays = [k["shown_ms"] - sent[k["key"]] for k in new if k["key"] in sent]
    print(json.dumps({"gap_ms": gap_ms, "sent": keys, "got": got, "delays": delays}), flush=True)
    # Clear the comment with the keyboard's BackSpace, which is never merged.
    for _ in range(len(got) + 5):
        xtst.XTestFakeKeyEvent(d, backspace, 1, 0)
        xtst.XTestFakeKeyEvent(d, backspace, 0, 0)
        x11.XFlush(d)
        time.sleep(0.005)
    time.sleep(1.0)
EOF
}

echo "run-35-taps: one press or release per frame" >&2
to_comment queue
rounds queue > "$work/queue.rounds"
kill "$kpid"; wait "$kpid" 2>/dev/null || true

echo "run-35-taps: merged input (--merge-input)" >&2
to_comment merged --merge-input
rounds merged > "$work/merged.rounds"
kill "$kpid"; wait "$kpid" 2>/dev/null || true
cat "$work/queue.rounds" "$work/merged.rounds" >&2

python3 - "$work/queue.rounds" "$work/merged.rounds" <<'EOF'
import json, sys

def load(p):
    return [json.loads(l) for l in open(p) if l.strip()]

def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")

note = "comment keyboard, Xvfb 1920x1080, Mesa llvmpipe; rounds of 20 keys at 100/60/40/30/20/15 ms"
rows = {"queue": ("one press or release per frame", load(sys.argv[1])),
        "merged": ("merged input (1.86 backend)", load(sys.argv[2]))}
for mode, (label, rounds) in rows.items():
    lossless = [1000 / r["gap_ms"] for r in rounds if r["got"] == r["sent"]]
    fastest = f"{max(lossless):.0f} /s" if lossless else "none"
    worst = min(rounds, key=lambda r: r["gap_ms"])
    print(f"| kiosk taps | fastest lossless tap rate, {label} | {fastest} | {note}; "
          f"at {worst['gap_ms']} ms {len(worst['got'])} of 20 arrived |")
for gap in (100, 30):
    for mode, (label, rounds) in rows.items():
        r = next(r for r in rounds if r["gap_ms"] == gap)
        d = r["delays"]
        print(f"| kiosk taps | tap to shown frame p50/p99 at {1000 // gap} taps/s, {label} | "
              f"{pct(d, 0.5):.0f} / {pct(d, 0.99):.0f} ms | press sent to the swap of the first frame "
              f"showing the letter; {len(d)} of 20 keys arrived |")
EOF
