#!/usr/bin/env bash
# tools/bench-host.sh — the host engine against PyTorch's int8 oneDNN backend, several runs of
# one script: each run evaluates all 10 000 Fashion-MNIST test images with
# `freebits-cli eval` at w8a8, w4a4, w2a2 and with PyTorch 1.13's eager int8 model
# (tools/peer-torch-eval.py --int8 --no-fake-quant), back to back, 2 threads each, and notes
# the load average. PyTorch's line also has cpu_seconds (CPU time of all its threads in the
# timed loop), freebits' process_cpu_seconds. Prints one JSON line per evaluation, then per run the ratios:
#   onednn_over_w8a8   PyTorch int8 seconds / freebits w8a8 seconds (> 1: freebits faster)
#   w4a4_over_w8a8, w2a2_over_w8a8   freebits seconds at 4 / 2 bits over 8 bits (≤ 1: no slower)
# freebits' figure is `int_seconds` (the integer evaluation of every image, thread pool
# included); PyTorch's the timed loop after one warm-up batch (data already float tensors).
#
# Usage: tools/bench-host.sh [BUILD_DIR] [RUNS] [WEIGHTS] [THREADS]
#   BUILD_DIR  a configured and built meson build (default: build)
#   RUNS       runs of the whole set (default 3)
#   WEIGHTS    freebits-weights/1 file (default: data/networks/fmnist-mbv1-float.fbw,
#              calibrated once; both tools evaluate the calibrated file)
#   THREADS    threads of each tool (default 2; 1 is less sensitive to a loaded machine,
#              where PyTorch's OpenMP threads wait for each other)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-3}
weights=${3:-$root/data/networks/fmnist-mbv1-float.fbw}
threads=${4:-2}
net=$root/data/networks/fmnist-mbv1.json
cli=$build/src/cli/freebits-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$cli" eval "$net" --config w8a8 --weights "$weights" --limit 1 --no-float \
  --save-calibrated "$tmp/w.fbw" > /dev/null

for run in $(seq 1 "$runs"); do
  echo "{\"run\": $run, \"uptime\": \"$(uptime | sed 's/.*load/load/')\", \"utc\": \"$(date -u +%H:%M:%S)\"}"
  for cfg in w8a8 w4a4 w2a2; do
    # process_cpu_seconds: user + system CPU time of the whole freebits-cli process (loading
    # the data set included, ≈ 0.06 s), which a loaded machine inflates less than wall time
    /usr/bin/python3 -c '
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
d = json.loads(out)
print(json.dumps({"tool": "freebits", "run": '"$run"', **{k: d[k] for k in ("config", "images", "accuracy", "int_seconds", "logits_fnv1a", "threads")},
                  "process_cpu_seconds": round(ru.ru_utime + ru.ru_stime, 3)}))' \
      "$cli" eval "$net" --config "$cfg" --weights "$tmp/w.fbw" --threads "$threads" --no-float --json
  done
  /usr/bin/python3 "$root/tools/peer-torch-eval.py" "$net" --weights "$tmp/w.fbw" --config w8a8 \
    --threads "$threads" --int8 --no-fake-quant | sed "s/^{/{\"run\": $run, /"
  echo "{\"run\": $run, \"uptime_after\": \"$(uptime | sed 's/.*load/load/')\"}"
done | tee "$tmp/log"

/usr/bin/python3 - "$tmp/log" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by_run = {}
for r in rows:
    d = by_run.setdefault(r["run"], {})
    if r.get("tool") == "freebits":
        d[r["config"]] = r["int_seconds"]
    elif "method" in r:
        d["onednn"] = r["seconds"]
for run, d in sorted(by_run.items()):
    out = {"run": run}
    if "onednn" in d and "w8a8" in d:
        out["onednn_over_w8a8"] = round(d["onednn"] / d["w8a8"], 2)
    for c in ("w4a4", "w2a2"):
        if c in d and "w8a8" in d:
            out[c + "_over_w8a8"] = round(d[c] / d["w8a8"], 2)
    print(json.dumps(out))
EOF
