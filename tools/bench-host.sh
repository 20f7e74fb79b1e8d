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
# Then, per layer and less sensitive to the load: each conv / depthwise layer of the network
# (shapes from its JSON, random operands, conv weights prepared as eval does) called through
# the build's kernel library (BUILD_DIR/src/kernels/libfbkernels.a, a small C harness compiled
# with cc), the minimum over 100 repetitions of 100 calls of the thread's CPU time per call,
# µs, at w8a8, w4a4 and w2a2 (the first layer reads the 8-bit image), and the totals' ratios
# layers_w4a4_over_w8a8 / layers_w2a2_over_w8a8.  RUNS=0 runs this part only.
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

# ---- per layer: the kernels alone, minimum over short repetitions ----
/usr/bin/python3 - "$net" > "$tmp/layers.h" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
h, w, c = d["input"]["shape"]
shape = {d["input"]["name"]: (h, w, c)}
for l in d["layers"]:
    if l["op"] not in ("conv2d", "depthwise_conv2d"):
        break
    h, w, c = shape[l["inputs"][0]]
    ky, kx = l["kernel"]; sy, sx = l["stride"]; pt, pb, pl, pr = l["pad"]
    dw = l["op"] == "depthwise_conv2d"
    cout = c if dw else l["cout"]
    print('{"%s", %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d},'
          % (l["name"], dw, h, w, c, cout, ky, kx, sy, sx, pt, pb, pl, pr))
    shape[l["output"]] = ((h + pt + pb - ky) // sy + 1, (w + pl + pr - kx) // sx + 1, cout)
EOF
cat > "$tmp/layers.c" <<'EOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fb-kernel-pack.h"
#include "fb-kernels.h"
typedef struct { const char *name; int dw, h, w, cin, cout, ky, kx, sy, sx, pt, pb, pl, pr; } L;
static const L layers[] = {
#include "layers.h"
};
static double
cpu_now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
int
main (int argc, char **argv)
{
  const int b = argc > 1 ? atoi (argv[1]) : 8, calls = 100, reps = 100;
  double total = 0;
  size_t li;
  srand (1);
  printf ("{\"layers\": \"w%da%d\", \"us_per_call\": {", b, b);
  for (li = 0; li < sizeof layers / sizeof *layers; li++)
    {
      const L *l = &layers[li];
      const int A = li == 0 ? 8 : b, O = b, W = b;
      FbConvParams p = { l->w, l->h, l->cin, (l->w + l->pl + l->pr - l->kx) / l->sx + 1,
                         (l->h + l->pt + l->pb - l->ky) / l->sy + 1, l->cout, l->kx, l->ky,
                         l->pt, l->pb, l->pl, l->pr, l->sx, l->sy, 24, FB_KERNEL_FLAG_RELU };
      const size_t n_in = (size_t) l->h * l->w * l->cin * A / 8;
      const size_t n_out = (size_t) p.dim_out_x * p.dim_out_y * p.ch_out * O / 8;
      const size_t n_w = l->dw ? fb_kernel_depthwise_weights_bytes (l->cin, l->ky, l->kx, W)
                               : fb_kernel_weight_row_bytes ((size_t) l->ky * l->kx * l->cin, W)
                                   * (size_t) l->cout;
      const FbConvFunc f = l->dw ? fb_depthwise_lookup (A, O, W) : fb_conv_lookup (A, O, W);
      const size_t n_s = l->dw ? fb_depthwise_get_buffer_size (A, O, W, &p)
                               : fb_conv_get_buffer_size (A, O, W, &p);
      uint8_t *in = malloc (n_in), *wt = malloc (n_w), *out = malloc (n_out), *s = malloc (n_s);
      uint8_t *prep = NULL;
      const uint8_t *wu = wt;
      int32_t *kappa = malloc (4 * (size_t) p.ch_out), *lambda = malloc (4 * (size_t) p.ch_out);
      double best = 1e9;
      size_t i;
      int r, k;
      for (i = 0; i < n_in; i++)
        in[i] = (uint8_t) rand ();
      for (i = 0; i < n_w; i++)
        wt[i] = (uint8_t) rand ();
      for (k = 0; k < p.ch_out; k++)
        {
          kappa[k] = rand () % (1 << 16) + 256;
          lambda[k] = rand () % (1 << 24) - (1 << 22);
        }
      if (!l->dw)
        {
          const size_t n_p = fb_conv_host_prepared_weights_size (A, O, W, &p);
          if (n_p > 0 && (prep = aligned_alloc (64, (n_p + 63) / 64 * 64)) != NULL
              && fb_conv_host_prepare_weights (A, O, W, &p, wt, prep) == FB_KERNEL_OK)
            {
              wu = prep;
              p.flag_relu |= FB_KERNEL_FLAG_HOST_PREPARED;
            }
        }
      for (r = 0; r < reps; r++)
        {
          const double t0 = cpu_now ();
          double t;
          for (k = 0; k < calls; k++)
            if (f (in, wu, kappa, lambda, out, &p, s, n_s) != FB_KERNEL_OK)
              {
                fprintf (stderr, "layer %s: kernel error\n", l->name);
                return 1;
              }
          t = (cpu_now () - t0) / calls;
          best = t < best ? t : best;
        }
      printf ("%s\"%s\": %.2f", li ? ", " : "", l->name, best * 1e6);
      total += best * 1e6;
      free (in); free (wt); free (out); free (s); free (prep); free (kappa); free (lambda);
    }
  printf ("}, \"total_us\": %.2f, \"host_code\": \"%s\"}\n", total, fb_kernel_host_code ());
  return 0;
}
EOF
cc -O2 -std=gnu17 -I "$root/src/kernels" -I "$tmp" "$tmp/layers.c" \
  "$build/src/kernels/libfbkernels.a" -o "$tmp/layers"
echo "{\"layers_uptime\": \"$(uptime | sed 's/.*load/load/')\", \"utc\": \"$(date -u +%H:%M:%S)\"}"
for b in 8 4 2; do "$tmp/layers" "$b"; done | tee "$tmp/layers.log"
/usr/bin/python3 - "$tmp/layers.log" <<'EOF'
import json, sys
t = {}
for l in open(sys.argv[1]):
    if l.strip():
        d = json.loads(l)
        t[d["layers"]] = d["total_us"]
print(json.dumps({"layers_w4a4_over_w8a8": round(t["w4a4"] / t["w8a8"], 2),
                  "layers_w2a2_over_w8a8": round(t["w2a2"] / t["w8a8"], 2)}))
EOF
