#!/usr/bin/env bash
# tools/bench-eval.sh — integer evaluation of all 10 000 Fashion-MNIST test
# images: freebits-cli eval vs PyTorch 1.13 on the CPU (tools/peer-torch-eval.py:
# fake quantization at every bit-width, and the int8 quantized backend at
# w8a8), all in one run, 2 threads each. Prints one JSON object per line.
#
# Usage: tools/bench-eval.sh [BUILD_DIR] [WEIGHTS]
#   BUILD_DIR  a configured and built meson build (default: build)
#   WEIGHTS    freebits-weights/1 file (default: data/networks/fmnist-mbv1-float.fbw;
#              float-only weights are calibrated once, and the calibrated file
#              is what both sides evaluate)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
weights=${2:-$root/data/networks/fmnist-mbv1-float.fbw}
net=$root/data/networks/fmnist-mbv1.json
cli=$build/src/cli/freebits-cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Calibrate (a no-op copy for weights that carry act_alpha) on 2000 training images.
"$cli" eval "$net" --config w8a8 --weights "$weights" --limit 1 --no-float \
  --save-calibrated "$tmp/w.fbw" > /dev/null

for cfg in w8a8 w4a4 w2a2; do
  "$cli" eval "$net" --config "$cfg" --weights "$tmp/w.fbw" --threads 2 --no-float --json |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"tool": "freebits", **{k: d[k] for k in ("config","images","accuracy","seconds","int_seconds","images_per_s","logits_fnv1a","threads")}}))'
  int8=""
  [ "$cfg" = w8a8 ] && int8=--int8
  /usr/bin/python3 "$root/tools/peer-torch-eval.py" "$net" --weights "$tmp/w.fbw" --config "$cfg" \
    --threads 2 --channels-last $int8
done
