#!/bin/sh
# bench-rv32.sh — the rv32imc kernel figures of issue 19 in one run: instructions per MAC
# (QEMU minstret, deterministic) per family, shape and operand widths (range over the output
# widths), every output checked against the host's.  With --e2e also fmnist-mbv1 w8a8 end to
# end: its plan run once under QEMU by the latency harness (weights prepared as a bundle has
# them), instructions per layer and in total, next to the sum of the shipped table.
#
#   tools/bench-rv32.sh [BUILD_DIR] [--e2e]
set -eu
build=${1:-build}
cli="$build/src/cli/freebits-cli"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cli" bench kernels --target rv32imc --json > "$tmp/bench.json"
python3 - "$tmp/bench.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
g = collections.defaultdict(list)
bad = 0
for r in d['results']:
    k = r['kernel'].split('_')
    g[(r['family'], r['shape_name'], 'a' + k[2][1:] + ' w' + k[-1][1:])].append(
        r['instructions_per_mac'])
    bad += not r['matches_host']
print('family      shape               operands  instructions/MAC (min-max over outputs)')
for k, v in sorted(g.items()):
    print('%-11s %-19s %-9s %.2f-%.2f' % (k + (min(v), max(v))))
print('outputs different from the host:', bad)
PY
if [ "${2:-}" = "--e2e" ]; then
  "$cli" latency run data/networks/fmnist-mbv1.json --target rv32imc --config w8a8 \
    --latency data/latency/fmnist-mbv1-rv32imc.json
fi
