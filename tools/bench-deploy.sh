#!/bin/sh
# bench-deploy.sh — issue 19's acceptance "an exported bundle's make run-rv32imc within 2 % of
# the table", per layer: exports fmnist-mbv1 (trained weights, 3 test images) at each CONFIG,
# builds and runs the bundle under QEMU (make rv32imc, make run-rv32imc) and prints per layer
# the bundle's instructions (trained kappa, lambda and shift, real activations), the latency
# harness's run of the same plan (`latency run`: random operands) and the shipped table's
# entry (the bundle's network.c comments), with the deviations.  Exit 1 if a bundle's total
# is off the table by more than 2 %.
#
#   tools/bench-deploy.sh [BUILD_DIR] [CONFIG...]   (default configs: w8a8 w8a4 w4a4 w2a2)
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
configs=${*:-w8a8 w8a4 w4a4 w2a2}
cli="$build/src/cli/freebits-cli"
net=data/networks/fmnist-mbv1.json
table=data/latency/fmnist-mbv1-rv32imc.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for c in $configs; do
  b="$tmp/bundle-$(basename "$c" .json)"
  "$cli" export "$net" --config "$c" -l "$table" -o "$b" -n 3 -q
  "$cli" latency run "$net" --target rv32imc --config "$c" --json > "$b.harness.json"
  make -s -C "$b" rv32imc > /dev/null
  make -s -C "$b" run-rv32imc > "$b.run.txt" 2>&1
  python3 - "$c" "$b/network.c" "$b.run.txt" "$b.harness.json" <<'PY' || status=1
import json, re, sys
cfg, netc, run, harness = sys.argv[1:]
src = open(netc).read()
# "/* NAME: op ...\n * ..., table latency N instructions (rv32imc) */" per layer
tab = {m.group(1): int(m.group(2).replace(',', '')) for m in re.finditer(
    r'/\* (\S+): (?:(?!\*/).)*?table latency ([\d,]+) instructions', src, re.S)}
txt = open(run).read()
dep = {m.group(1): int(m.group(2)) for m in re.finditer(r'^layer \d+ (\S+) (\d+)\s*$', txt, re.M)}
total = int(re.search(r'instructions_per_inference (\d+)', txt).group(1))
h = json.load(open(harness))
har = {l['name']: int(l['cost']) for l in h['layers']}
print(f'config {cfg}: bundle {total:,} instructions, table {sum(tab.values()):,} '
      f'({100.0 * (total / sum(tab.values()) - 1):+.1f} %), latency run {int(h["total"]):,}')
print('  layer     bundle    harness      table  bundle/table')
for name, d in dep.items():
    t = tab.get(name)
    print(f'  {name:<6} {d:>9,} {har.get(name, 0):>10,} {t if t else 0:>10,}'
          + (f'  {100.0 * (d / t - 1):+6.1f} %' if t else ''))
sys.exit(0 if abs(total / sum(tab.values()) - 1) <= 0.02 else 1)
PY
done
exit $status
