#!/usr/bin/env bash
# tools/bench-ram.sh — the RAM of an exported bundle per bundled network and uniform
# precision: the activation arena of the plan against the lower bound (largest total of
# tensors alive during one layer), today's first-fit-in-tensor-order placement and a
# TensorFlow Lite Micro style greedy-by-size placement, the kernel scratch of the rv32imc
# and host builds, and the bundle's total (metrics' ram_bytes) next to the peak live
# activations. Deterministic: no timing involved.
#
# Usage: tools/bench-ram.sh [BUILD_DIR] [CONFIG...]   (default configs: w8a8 w4a4 w2a2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(w8a8 w4a4 w2a2)
cli=$build/src/cli/freebits-cli

printf '%-24s %-6s %10s %10s %10s %10s %6s %10s %10s %10s\n' network config peak_live \
  lower_bnd tensor_ord greedy_sz plan/lb arena mcu_scr ram_bytes
for json in "$root"/data/networks/*.json; do
  for cfg in "${configs[@]}"; do
    "$cli" metrics "$json" --config "$cfg" --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["ram"]
print("%-24s %-6s %10d %10d %10d %10d %6.3f %10d %10d %10d" % (
    d["network"], sys.argv[1], d["peak_activation_bytes"], r["arena_lower_bound_bytes"],
    r["arena_tensor_order_bytes"], r["arena_greedy_by_size_bytes"],
    r["arena_bytes"] / r["arena_lower_bound_bytes"], r["arena_bytes"],
    r["kernel_scratch_bytes"], d["ram_bytes"]))' "$cfg"
  done
done
