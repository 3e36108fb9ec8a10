#!/usr/bin/env bash
# Reading aloud in the kiosk under Xvfb at 1920x1080, heard through SDL's disk audio driver:
# from a tap on the speaker button to the first sample of speech handed to the audio device (the
# tap's send time from this script's clock, the sample's from the kiosk's --voice-stats, both
# CLOCK_MONOTONIC), CPU while speaking, and CPU on the idle welcome with voice off and with voice
# on once the speech has ended. Under a minute. Prints table rows only; progress goes to stderr.
set -euo pipefail

# shellcheck source=bench/kiosk-xvfb.sh
source "$(dirname "$0")/kiosk-xvfb.sh"
src_dir="${SIPAS_SOURCE_DIR:-$(pwd)}"
kiosk_bench_setup run-32-voice idle_timeout_seconds=600 tap_sound=false \
  "voice={\"always_on\": false, \"key\": \"Keypad +\", \"volume\": 100}" "assets_dir=\"$src_dir/assets\""

dump="$work/ui.json"
SDL_AUDIODRIVER=disk SDL_DISKAUDIOFILE="$work/audio.raw" \
  "$kiosk" --config "$work/config" --db "$work/kiosk.db" --windowed 1920x1080 --ui-dump "$dump" \
  --voice-stats "$work/voice.json" 2>>"$work/kiosk.log" &
kpid=$!
pids+=("$kpid")
wait_screen "$dump" welcome
sleep 3  # start-up done, questionnaire texts loaded

python3 - "$kpid" "$dump" "$work/voice.json" <<'PY'
import json, os, subprocess, sys, time
pid, dump, stats = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hz = os.sysconf("SC_CLK_TCK")

def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])

def cpu(seconds):
    t0 = ticks(); time.sleep(seconds); t1 = ticks()
    return (t1 - t0) / hz / seconds * 100

def tap(element):
    for e in json.load(open(dump))["elements"]:
        if e["id"] == element:
            x, y = e["x"] + e["w"] // 2, e["y"] + e["h"] // 2
            sent = time.monotonic() * 1000
            subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=True)
            return sent
    sys.exit(f"run-32-voice: no element {element}")

def timings():
    try:
        return json.load(open(stats))["speech"]
    except (OSError, ValueError):
        return []

def first_samples():
    return [t["first_sample_ms"] for t in timings()]

print("run-32-voice: idle welcome, voice off, 8 s", file=sys.stderr)
idle_off = cpu(8)

print("run-32-voice: speaker taps, audio device closed before each", file=sys.stderr)
latencies = []
for _ in range(4):
    n = len(first_samples())
    sent = tap("voice")
    for _ in range(100):
        s = first_samples()
        if len(s) > n and s[n] > 0:
            latencies.append(s[n] - sent)
            break
        time.sleep(0.02)
    time.sleep(1.0)
    tap("voice")
    time.sleep(2.6)  # the device closes after 2 s of quiet

print("run-32-voice: speaking, then idle with voice on", file=sys.stderr)
tap("voice")
time.sleep(0.5)
speaking = cpu(5)
time.sleep(6)  # the rest of the announcement and the question, and the device's 2 s
idle_on = cpu(10)

inside = sorted(t["first_sample_ms"] - t["requested_ms"] for t in timings()[:len(latencies)]
                if t["first_sample_ms"] > 0)
latencies.sort()
if len(latencies) < 3:
    sys.exit("run-32-voice: speech was not heard")
p50 = latencies[len(latencies) // 2]
note = "Xvfb 1920x1080, Mesa llvmpipe, SDL disk audio driver, pre-rendered assets"
print(f"| kiosk voice | tap to first speech sample p50 / max | {p50:.0f} / {latencies[-1]:.0f} ms | "
      f"speaker button, {len(latencies)} taps, each opening the audio device (closed after 2 s of quiet); "
      f"of which {inside[len(inside) // 2]:.0f} ms (p50) from the Flow's speak() to the sample; {note} |")
print(f"| kiosk voice | CPU while speaking | {speaking:.2f} % | of one core over 5 s of the announcement and the welcome question; UI loop asleep, audio on SDL's thread |")
print(f"| kiosk voice | CPU on idle welcome, voice on | {idle_on:.2f} % | of one core over 10 s after the speech ended (audio device closed); voice off, same run: {idle_off:.2f} % |")
PY
kill "$kpid"; wait "$kpid" 2>/dev/null || true
