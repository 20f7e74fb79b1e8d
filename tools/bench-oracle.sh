#!/usr/bin/env bash
# tools/bench-oracle.sh — the accuracy oracle's figures in one run (docs/search.md,
# "Measured: the accuracy oracle"), one JSON object per line:
#   1. compare: the GUI's Compare pool on fmnist-mbv1 (100 random configs + uniform,
#      BOPs front, Free Bits and latency fronts of rv32imc, gap8, gap8-xpulpnn:
#      192 configs), 1000 test images per config, batch norm recalibrated per
#      config on 2048 training images — with the shared recalibration (FbNnRecal)
#      and with today's reference, one trainer per config (FB_NN_ORACLE_RECAL=trainer),
#      and max |Δ accuracy| between the two over every config;
#   2. first accuracy: the accuracy engine loaded as the window loads it, then the
#      config on screen asked for (w8a8, as a network opens; w4a4, a config whose
#      batch norm must be recalibrated), the nine baselines queued behind it;
#   3. sweep: the 7-λ differentiable search of docs/search.md (size cost, 300 steps
#      per λ, results measured on 1000 images).
# Wall seconds depend on the machine's load (printed first); cpu_s (user + system
# of the process) is the steadier figure.
#
# Usage: tools/bench-oracle.sh [BUILD_DIR]
#   FB_BENCH_REFERENCE=0  skips the reference compare (minutes);
#   FB_BENCH_SWEEP_STEPS=N  steps per λ of the sweep (default 300; 0 skips it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cli=$build/src/cli/freebits-cli
first=$build/tests/app/bench-first-accuracy
net=$root/data/networks/fmnist-mbv1.json
lat=$root/data/latency/fmnist-mbv1
steps=${FB_BENCH_SWEEP_STEPS:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

py() { /usr/bin/python3 -c "$@"; }
echo "{\"figure\": \"machine\", \"date\": \"$(date -u +%FT%TZ)\", \"nproc\": $(nproc), \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"

# Wall, user and system seconds of one command into $tmp/$1.time; its stdout into $tmp/$1.json.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S' -o "$tmp/$name.time" "$@" > "$tmp/$name.json"
}

compare() {
  timed "$1" env ${2:+$2} "$cli" compare "$net" --latency "$lat-rv32imc.json" --latency "$lat-gap8.json" \
    --latency "$lat-gap8-xpulpnn.json" --samples 100 --limit 1000 --json
  py "import json; d = json.load(open('$tmp/$1.json')); w, u, s = map(float, open('$tmp/$1.time').read().split())
print(json.dumps({'figure': 'compare', 'recalibration': '$1', 'configs': d['n_configs'], 'images': d['accuracy_limit'],
                  'seconds': w, 'cpu_s': round(u + s, 2), 'cpu_s_per_config': round((u + s) / d['n_configs'], 3)}))"
}

compare shared
if [ "${FB_BENCH_REFERENCE:-1}" != 0 ]; then
  compare trainer FB_NN_ORACLE_RECAL=trainer
  py "import json
a = json.load(open('$tmp/shared.json'))['configs']; b = json.load(open('$tmp/trainer.json'))['configs']
assert [x['label'] for x in a] == [x['label'] for x in b]
d = [abs(x['accuracy'] - y['accuracy']) for x, y in zip(a, b)]
print(json.dumps({'figure': 'compare_accuracy_delta', 'configs': len(d), 'max_abs_delta_pt': round(100 * max(d), 4),
                  'configs_differing': sum(1 for v in d if v != 0)}))"
fi

for cfg in w8a8 w4a4; do
  "$first" "$net" "$cfg" | py "import json, sys; d = json.loads(sys.stdin.readline()); print(json.dumps({'figure': 'first_accuracy', **d}))"
done

if [ "$steps" != 0 ]; then
  timed sweep "$cli" search "$net" --method diff --cost size --lambdas 0,0.02,0.05,0.1,0.2,0.5,1 --steps "$steps" \
    --latency "$lat-rv32imc.json" --json
  py "import json; w, u, s = map(float, open('$tmp/sweep.time').read().split())
print(json.dumps({'figure': 'sweep', 'lambdas': 7, 'steps': $steps, 'images_measured': 1000, 'seconds': w,
                  'cpu_s': round(u + s, 2)}))"
fi
