#!/usr/bin/env bash
# tools/bench-walkthrough.sh — freebits vs PyTorch 1.13 on the walk-through's 32×32×3
# ResNet (docs/training.md, "End to end"): float training and int8 evaluation, side by
# side, 2 threads each, RUNS rounds back to back, the load average noted per round.
#
# Usage: tools/bench-walkthrough.sh [BUILD_DIR] [WALKTHROUGH_DIR] [RUNS]
#   BUILD_DIR        configured and built meson build (default: build)
#   WALKTHROUGH_DIR  output of tools/walkthrough-resnet.sh: resnet.onnx and cs.npz
#                    (default: /tmp/freebits-walkthrough)
#   RUNS             rounds (default 3)
# TRAIN_IMAGES (default 2560 = 20 steps of 128) in the environment sets the images
# each training run times; "s/epoch" is the 60 000-image epoch at that rate.
# EVAL_IMAGES (default 10000) sets the test images both evaluations run.
#
# Training: freebits-cli train NET --epochs 1 --limit-train N (its images/s of the
# training steps, batch preparation included) against tools/peer-torch-train.py on
# the same network, data, augmentation, batch 128 and optimizer (images/s of its
# steps, batch preparation included, the first 3 steps excluded). PyTorch trains the
# imported shortcut convs' biases as batch norms (freebits keeps them fixed): the
# same arithmetic per step, not the same model.
# Evaluation: freebits-cli eval --config w8a8 --no-float on the 10 000 test images
# (integer kernels, whole evaluation timed) against tools/peer-torch-eval.py: PyTorch's
# int8 eager static quantization on oneDNN and its fake-quantized float model
# (timed loop, one warm-up batch excluded); both on the weights freebits calibrates.
# (peer-torch-eval.py's fake quantization treats every activation as unsigned, so its
# accuracy on this network with signed residual branches is not freebits'; its time is.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
dir=$(cd "${2:-/tmp/freebits-walkthrough}" && pwd)
runs=${3:-3}
images=${TRAIN_IMAGES:-2560}
eval_images=${EVAL_IMAGES:-10000}
cli=$build/src/cli/freebits-cli
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f "$dir/resnet.onnx" ] && [ -f "$dir/cs.npz" ] ||
  { echo "$dir: no resnet.onnx and cs.npz (run tools/walkthrough-resnet.sh first)" >&2; exit 2; }

"$cli" import "$dir/resnet.onnx" -o "$tmp/res.json" > /dev/null
# Calibrated float weights (act_alpha on 2000 training images): what both sides evaluate.
"$cli" eval "$tmp/res.json" --config w8a8 --data "$dir/cs.npz" --limit 1 --no-float \
  --save-calibrated "$tmp/cal.fbw" > /dev/null

json_field () { "$py" -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

printf '%-5s %-16s %12s %12s %8s | %10s %10s %8s %12s %8s\n' run load "fb s/epoch" "torch s/ep" ratio \
  "fb eval s" "torch int8" ratio "torch fakeq" ratio
for r in $(seq 1 "$runs"); do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  fb_ips=$("$cli" train "$tmp/res.json" --data "$dir/cs.npz" -o "$tmp/t.fbw" --epochs 1 \
             --limit-train "$images" 2>&1 | sed -n 's/^epoch 1\/1: .*, \([0-9.]*\) images\/s.*/\1/p')
  pt_ips=$("$py" "$root/tools/peer-torch-train.py" "$tmp/res.json" --data "$dir/cs.npz" --threads 2 \
             --limit-train "$images" 2> /dev/null | json_field images_per_s)
  fb_eval=$("$cli" eval "$tmp/res.json" --config w8a8 --weights "$tmp/cal.fbw" --data "$dir/cs.npz" \
              --limit "$eval_images" --threads 2 --no-float --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  FB_PEER_DATA=$dir/cs.npz "$py" "$root/tools/peer-torch-eval.py" "$tmp/res.json" --weights "$tmp/cal.fbw" \
    --config w8a8 --threads 2 --int8 --limit "$eval_images" > "$tmp/pt-eval.json" 2> /dev/null
  pt_fq=$(sed -n 1p "$tmp/pt-eval.json" | json_field seconds)
  pt_int8=$(sed -n 2p "$tmp/pt-eval.json" | json_field seconds)
  "$py" - "$r" "$load" "$fb_ips" "$pt_ips" "$fb_eval" "$pt_int8" "$pt_fq" <<'EOF'
import sys
r, load, fb_ips, pt_ips, fb_e, pt_i8, pt_fq = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
fb_ep, pt_ep = 60000 / fb_ips, 60000 / pt_ips
print("%-5s %-16s %12.1f %12.1f %7.2fx | %10.2f %10.2f %7.2fx %12.2f %7.2fx" %
      (r, load, fb_ep, pt_ep, pt_ep / fb_ep, fb_e, pt_i8, pt_i8 / fb_e, pt_fq, pt_fq / fb_e))
EOF
done
echo "eval: $eval_images test images; train: $images images per run"
echo "ratio: PyTorch seconds / freebits seconds (> 1: freebits faster); load: 1/5/15-minute load average before the round"
