#!/bin/sh
# bench-rv32-linear.sh — the rv32imc linear figures of issue 19 in one run: instructions per
# MAC (QEMU minstret, deterministic) of both linear families (256->64 quantized output,
# 256->16 int32 logits) per operand widths and instructions per element of the residual add
# (16x16x32), every output checked against the host's; then
# the dense autoencoder of tests/data/onnx (640-64-32-8-32-64-640, signed input, int32
# output) end to end at w8a8 / w4a4 / w2a2 from a freshly measured latency table.
# The bench and the latency harness run the kernels as an exported bundle does (weights
# laid out by fb_linear_prepare_weights()).  With --base SRC_ROOT the autoencoder is also
# measured with the kernel and harness sources of another tree (e.g. `git archive` of main),
# the "before" column.
#
#   tools/bench-rv32-linear.sh [BUILD_DIR] [--base SRC_ROOT]
set -eu
build=${1:-build}
base=
if [ "${2:-}" = "--base" ]; then base=$3; fi
cli="$build/src/cli/freebits-cli"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for fam in linear linear_i32 add; do
  "$cli" bench kernels --target rv32imc --family $fam --json > "$tmp/$fam.json"
done
python3 - "$tmp/linear.json" "$tmp/linear_i32.json" "$tmp/add.json" <<'PY'
import collections, json, sys
print('family      operands  instructions/MAC (min-max over outputs)')
bad = 0
for f in sys.argv[1:3]:
    d = json.load(open(f))
    g = collections.defaultdict(list)
    for r in d['results']:
        k = r['kernel'].split('_')
        g[(r['family'], 'a' + k[2][1:] + ' w' + k[-1][1:])].append(r['instructions_per_mac'])
        bad += not r['matches_host']
    for k, v in sorted(g.items()):
        print('%-11s %-9s %.3f-%.3f' % (k + (min(v), max(v))))
print('add (input 1, input 2, output bits): instructions/element')
for r in json.load(open(sys.argv[3]))['results']:
    print('  %s %.2f' % (r['kernel'], r['instructions_per_mac']))
    bad += not r['matches_host']
print('outputs different from the host:', bad)
PY
"$cli" import tests/data/onnx/autoencoder.onnx -o "$tmp/ae.json" --input-signed \
  --input-scale 0.0625 > /dev/null
"$cli" latency measure "$tmp/ae.json" --target rv32imc -o "$tmp/after.json" > /dev/null 2>&1
if [ -n "$base" ]; then
  FB_SOURCE_ROOT="$base" "$cli" latency measure "$tmp/ae.json" --target rv32imc \
    -o "$tmp/before.json" > /dev/null 2>&1
fi
macs=86528
for c in w8a8 w4a4 w2a2; do
  a=$("$cli" metrics "$tmp/ae.json" --config $c --latency "$tmp/after.json" | awk '/^latency/ {print $2}')
  line="autoencoder $c: $a instructions ($(python3 -c "print('%.2f' % ($a / $macs))") /MAC)"
  if [ -n "$base" ]; then
    b=$("$cli" metrics "$tmp/ae.json" --config $c --latency "$tmp/before.json" | awk '/^latency/ {print $2}')
    line="$line, before $b ($(python3 -c "print('%.2f' % ($b / $macs))") /MAC)"
  fi
  echo "$line"
done
uptime
