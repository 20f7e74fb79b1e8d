#!/usr/bin/env bash
# tools/bench-mpi.sh — one process against `mpirun -n 2` for the searches'
# accuracy work (docs/scaling.md): eval --configs, the differentiable λ sweep
# split by λ and by the steps' shards, the sensitivities of Pareto's accuracy
# objective and Free Bits' lowering step, on fmnist-mbv1 with one thread per process
# (FB_NN_THREADS=1). For each it prints the wall time, every rank's CPU time
# (user + system, /usr/bin/time around each rank) and the speed-up of the
# critical path (the largest CPU time of any rank: what a node per rank would
# see), and checks that both runs wrote the same file (the diff search's
# wall-clock "seconds" masked). The load average comes first.
#
# Usage: tools/bench-mpi.sh [BUILD_DIR]   (a build with the meson option mpi)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cli=$build/src/cli/freebits-cli
net=$root/data/networks/fmnist-mbv1.json
table=$root/data/latency/fmnist-mbv1-rv32imc.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FB_NN_THREADS=1
mpirun_args=(--oversubscribe -q)
[ "$(id -u)" = 0 ] && mpirun_args+=(--allow-run-as-root)
printf 'w8a8\nw4a8\nw8a4\nw4a4\nw2a8\nw8a2\nw4a2\nw2a4\n' > "$tmp/configs.txt"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
# run NAME RANKS ARGS... (the output file is $tmp/NAME-RANKS.json, after -o)
run () {
  local name=$1 n=$2; shift 2
  local out=$tmp/$name-$n.json t0 t1
  rm -f "$tmp"/cpu.*
  t0=$(date +%s.%N)
  if [ "$n" = 1 ]; then
    /usr/bin/time -f '%U %S' -o "$tmp/cpu.0" "$cli" "$@" -o "$out" > /dev/null 2>&1
  else
    mpirun "${mpirun_args[@]}" -n "$n" sh -c \
      'exec /usr/bin/time -f "%U %S" -o "$0.$OMPI_COMM_WORLD_RANK" "$@" > /dev/null 2>&1' \
      "$tmp/cpu" "$cli" "$@" -o "$out"
  fi
  t1=$(date +%s.%N)
  local cpus
  cpus=$(cat "$tmp"/cpu.* | awk '{ printf "%s%.2f", (NR > 1 ? ", " : ""), $1 + $2 }')
  echo "$cpus" > "$tmp/$name-$n.cpu"
  printf '%-18s %u rank(s): wall %6.1f s, CPU per rank %s s\n' "$name" "$n" "$(awk "BEGIN { print $t1 - $t0 }")" "$cpus"
}
compare () {
  local name=$1
  local c1 c2
  c1=$(tr ',' '\n' < "$tmp/$name-1.cpu" | sort -g | tail -1)
  c2=$(tr ',' '\n' < "$tmp/$name-2.cpu" | sort -g | tail -1)
  if cmp -s <(sed -E 's/"seconds" *: *[-0-9.eE+]+/"seconds": T/' "$tmp/$name-1.json") \
            <(sed -E 's/"seconds" *: *[-0-9.eE+]+/"seconds": T/' "$tmp/$name-2.json"); then
    same="same file"
  else
    same="FILES DIFFER"
  fi
  printf '%-18s critical-path CPU speed-up %.2fx (%s)\n' "$name" "$(awk "BEGIN { print $c1 / $c2 }")" "$same"
}

for n in 1 2; do
  run eval-configs "$n" eval "$net" --configs "$tmp/configs.txt" -l "$table" --limit 500
done
compare eval-configs
for n in 1 2; do
  run diff-lambdas "$n" search "$net" --method diff --lambdas 0,0.2 --steps 20 --batch 64 --no-measure
done
compare diff-lambdas
for n in 1 2; do
  run diff-shards "$n" search "$net" --method diff --lambdas 0.2 --steps 20 --batch 64 --shards 2 --no-measure
done
compare diff-shards
for n in 1 2; do
  run pareto-accuracy "$n" search "$net" --method pareto --objectives latency,size,accuracy -l "$table" \
    --limit 100 --no-measure
done
compare pareto-accuracy
for n in 1 2; do
  run free-bits-lower "$n" search "$net" --method free-bits --config w8a8 -l "$table" --max-accuracy-drop 0.01 \
    --limit 50
done
compare free-bits-lower
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
