#!/bin/sh
# The "bring your own model" walk-through of docs/training.md, end to end:
#
#   tools/walkthrough-resnet.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, /tmp/freebits-walkthrough)
#
# 1. PyTorch (tools/walkthrough-resnet.py, Debian's python3-torch): a CIFAR-shaped set derived
#    from Fashion-MNIST (cs.npz, 32x32x3, 10 classes), a ResNet-style model trained on it,
#    its float test accuracy (torch.json), exported to resnet.onnx. Skipped when OUT_DIR
#    already holds resnet.onnx and cs.npz.
# 2. freebits: import; float accuracy of the imported weights (eval); quantization-aware
#    supernet fine-tuning from them on the same data (train --supernet --init); w8a8 and
#    w4a4 integer accuracy; the Free Bits search with accuracy on the GAP-8 XpulpNN table;
#    export of the search's pick and the bundle's accuracy on the host.
#
# Every step's output goes to OUT_DIR/*.log / *.json; a summary at the end. Sizes are kept
# small for a shared 2-core machine (minutes): SUPERNET_IMAGES, SUPERNET_EPOCHS, SEARCH_IMAGES
# and EXPORT_IMAGES in the environment change them. The fine-tuning runs with train's
# defaults for --supernet --init (lr 0.0005 after 0.2 warm-up epochs, cosine; 8 and 4 bit
# only, one random config per step); SUPERNET_ARGS adds options (e.g. "--min-bits 2").
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
OUT=${2:-/tmp/freebits-walkthrough}
CLI=$BUILD/src/cli/freebits-cli
SUPERNET_IMAGES=${SUPERNET_IMAGES:-10000}
SUPERNET_EPOCHS=${SUPERNET_EPOCHS:-1}
SEARCH_IMAGES=${SEARCH_IMAGES:-1000}
EXPORT_IMAGES=${EXPORT_IMAGES:-10000}

mkdir -p "$OUT"
cd "$OUT"
step () { echo "== $*" >&2; }

if [ ! -f resnet.onnx ] || [ ! -f cs.npz ]; then
  step "PyTorch: data set, training, ONNX export"
  /usr/bin/python3 "$SRC/tools/walkthrough-resnet.py" "$OUT" | tee torch.log
fi

step "import"
rm -f res.json res.fbw
"$CLI" import resnet.onnx -o res.json
"$CLI" info res.json > info.txt

step "float accuracy of the imported weights (and w8a8 post-training quantization)"
"$CLI" eval res.json --config w8a8 --data cs.npz --json > eval-imported-w8a8.json

# (kept when OUT_DIR already holds it: delete res-super.fbw to train again)
if [ ! -f res-super.fbw ]; then
step "quantization-aware supernet fine-tuning from the imported weights"
# shellcheck disable=SC2086
"$CLI" train res.json --supernet --init res.fbw --data cs.npz -o res-super.fbw \
  --epochs "$SUPERNET_EPOCHS" --limit-train "$SUPERNET_IMAGES" ${SUPERNET_ARGS:-} 2>&1 | tee train-supernet.log
fi

for c in w8a8 w4a4 w2a2; do
  step "integer accuracy at $c"
  "$CLI" eval res.json --config $c --weights res-super.fbw --data cs.npz --json > eval-super-$c.json
done

step "Free Bits search with accuracy (GAP-8 XpulpNN latency model)"
"$CLI" latency model res.json --target gap8-xpulpnn -o gap8-xpulpnn.json > /dev/null
"$CLI" search res.json --method free-bits --latency gap8-xpulpnn.json --weights res-super.fbw \
  --data cs.npz --config w4a4 --max-accuracy-drop 0.005 --limit "$SEARCH_IMAGES" \
  -o search.json > search.txt
# the fastest candidate as a freebits-config/1 file
python3 - <<'EOF'
import json
c = json.load(open("search.json"))["candidates"]
best = min(c, key=lambda k: k["latency"])
json.dump(best["config"], open("picked-config.json", "w"), indent=1)
print("picked: latency %.0f cycles, accuracy %s" % (best["latency"], best["accuracy"]))
EOF

step "export of the pick, bundle on the host"
"$CLI" eval res.json --config picked-config.json --weights res-super.fbw --data cs.npz \
  --limit "$EXPORT_IMAGES" --no-float --json > eval-picked.json
"$CLI" export res.json --config picked-config.json --weights res-super.fbw --data cs.npz \
  --images "$EXPORT_IMAGES" --latency gap8-xpulpnn.json -o bundle --force
make -C bundle host > make-host.log 2>&1
(cd bundle && ./fb_demo test_images.bin test_labels.bin) > bundle-host.txt

step "summary"
python3 - <<'EOF'
import json
def pct(x): return "%.2f %%" % (100 * x)
t = json.load(open("torch.json"))
imp = json.load(open("eval-imported-w8a8.json"))
print("PyTorch float top-1          ", pct(t["float_top1"]), "(%d/%d)" % (t["correct"], t["test_images"]))
print("imported, freebits float     ", pct(imp["float_accuracy"]) if "float_accuracy" in imp else imp)
print("imported, w8a8 post-training ", pct(imp["accuracy"]))
for c in ("w8a8", "w4a4", "w2a2"):
    e = json.load(open("eval-super-%s.json" % c))
    print("supernet %s integer        " % c, pct(e["accuracy"]), e["logits_fnv1a"])
p = json.load(open("eval-picked.json"))
print("picked config, eval          ", pct(p["accuracy"]), p["logits_fnv1a"])
print("bundle on the host:", " ".join(l.strip() for l in open("bundle-host.txt") if l.startswith(("accuracy", "logits_fnv1a"))))
EOF
