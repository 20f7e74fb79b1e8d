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
# (shapes from its JSON, random operands, conv and depthwise weights prepared as eval does) called through
# the build's kernel library (BUILD_DIR/src/kernels/libfbkernels.a, a small C harness compiled
# with cc), the minimum over 100 repetitions of 100 calls of the thread's CPU time per call,
# µs, at w8a8, w4a4 and w2a2 (the first layer reads the 8-bit image), and the totals' ratios
# layers_w4a4_over_w8a8 / layers_w2a2_over_w8a8.  The three configs are timed alternately in
# one process (each repetition times w8a8, w4a4, w2a2 in turn), so that a change of the
# machine's load over the run falls on all three alike; chain_us is the whole chain of layers
# (conv, depthwise, pool, classifier, each called once, in the network's order), the minimum
# over 300 repetitions of 10 chains.  The pool and the classifier are timed the
# same way, and each config's whole evaluation with one thread in CPU time per image, so that
# `stages_per_image_us` attributes it: first_conv, depthwise, pointwise, pool, classifier
# (the kernels) and outside_kernels_us (the rest: the evaluator's per-image work, the caches
# of a whole network against one hot layer).  Last, each config's evaluation once more with
# FB_EVAL_STEP_TIMES (every step timed per image in the real run): eval_run_median_us, the
# median image's whole run, and eval_steps_median_sum_us, the sum of the steps' medians —
# the load's interruptions, which inflate CPU time and means, move medians little.
# RUNS=0 runs this part only.
#
# Usage: tools/bench-host.sh [BUILD_DIR] [RUNS] [WEIGHTS] [THREADS] [REPEAT]
#   BUILD_DIR  a configured and built meson build (default: build)
#   RUNS       runs of the whole set (default 3)
#   WEIGHTS    freebits-weights/1 file (default: data/networks/fmnist-mbv1-float.fbw,
#              calibrated once; both tools evaluate the calibrated file)
#   THREADS    threads of each tool (default 2; 1 is less sensitive to a loaded machine,
#              where PyTorch's OpenMP threads wait for each other)
#   REPEAT     integer runs of each one-thread whole evaluation (`eval --repeat`, default 5;
#              whole_1thread_min_us is the fastest run's seconds per image)
# The last line, "summary", has the ratios to w8a8 of the kernel chain, of all kernels, of
# the one-thread evaluation and of its median image (≤ 1: no slower than w8a8).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
runs=${2:-3}
weights=${3:-$root/data/networks/fmnist-mbv1-float.fbw}
threads=${4:-2}
repeat=${5:-5}
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
    h, w, c = shape[l["inputs"][0]]
    if l["op"] == "global_avg_pool":
        # kind 2: the pool, kind 3: the classifier (dims: h w c -> cout)
        print('{"%s", 2, %d, %d, %d, %d, 1, 1, 1, 1, 0, 0, 0, 0},' % (l["name"], h, w, c, c))
        shape[l["output"]] = (1, 1, c)
        continue
    if l["op"] == "linear":
        print('{"%s", 3, 1, 1, %d, %d, 1, 1, 1, 1, 0, 0, 0, 0},' % (l["name"], h * w * c, l["cout"]))
        shape[l["output"]] = (1, 1, l["cout"])
        continue
    if l["op"] not in ("conv2d", "depthwise_conv2d"):
        sys.exit("bench-host.sh: layer %s: op %s not in the per-layer part" % (l["name"], l["op"]))
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
/* kind: 0 conv, 1 depthwise, 2 global average pool, 3 classifier (int32 logits) */
typedef struct { const char *name; int kind, h, w, cin, cout, ky, kx, sy, sx, pt, pb, pl, pr; } L;
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
/* One layer's call at one config: its operands made once. */
typedef struct {
  const L *l;
  int kind;
  FbConvFunc conv;
  FbAvgPoolFunc pool;
  FbLinearI32Func fc;
  FbConvParams p;
  uint8_t *in, *out, *s, *wt, *prep;
  const uint8_t *wu;
  int32_t *kappa, *lambda, *bias, *out32;
  size_t n_s;
} Call;
static uint8_t *
random_bytes (size_t n)
{
  uint8_t *p = malloc (n > 0 ? n : 1);
  size_t i;
  for (i = 0; i < n; i++)
    p[i] = (uint8_t) rand ();
  return p;
}
static void
setup_conv (Call *c, const L *l, int A, int O, int W)
{
  FbConvParams p = { l->w, l->h, l->cin, (l->w + l->pl + l->pr - l->kx) / l->sx + 1,
                     (l->h + l->pt + l->pb - l->ky) / l->sy + 1, l->cout, l->kx, l->ky,
                     l->pt, l->pb, l->pl, l->pr, l->sx, l->sy, 24, FB_KERNEL_FLAG_RELU };
  const int dw = l->kind == 1;
  const size_t n_in = (size_t) l->h * l->w * l->cin * A / 8;
  const size_t n_out = (size_t) p.dim_out_x * p.dim_out_y * p.ch_out * O / 8;
  const size_t n_w = dw ? fb_kernel_depthwise_weights_bytes (l->cin, l->ky, l->kx, W)
                        : fb_kernel_weight_row_bytes ((size_t) l->ky * l->kx * l->cin, W)
                            * (size_t) l->cout;
  int k;
  c->conv = dw ? fb_depthwise_lookup (A, O, W) : fb_conv_lookup (A, O, W);
  c->n_s = dw ? fb_depthwise_get_buffer_size (A, O, W, &p) : fb_conv_get_buffer_size (A, O, W, &p);
  c->in = random_bytes (n_in);
  c->wt = random_bytes (n_w);
  c->out = malloc (n_out);
  c->s = malloc (c->n_s > 0 ? c->n_s : 1);
  c->prep = NULL;
  c->wu = c->wt;
  c->kappa = malloc (4 * (size_t) p.ch_out);
  c->lambda = malloc (4 * (size_t) p.ch_out);
  for (k = 0; k < p.ch_out; k++)
    {
      c->kappa[k] = rand () % (1 << 16) + 256;
      c->lambda[k] = rand () % (1 << 24) - (1 << 22);
    }
  /* prepared once per layer as fb-int-network.c does (the depthwise's layout holds the
   * requantization too, so it is made after kappa and lambda) */
  {
    const size_t n_p = dw ? fb_depthwise_host_prepared_size (A, O, W, &p)
                          : fb_conv_host_prepared_weights_size (A, O, W, &p);
    if (n_p > 0 && (c->prep = aligned_alloc (64, (n_p + 63) / 64 * 64)) != NULL
        && (dw ? fb_depthwise_host_prepare (A, O, W, &p, c->wt, c->kappa, c->lambda, c->prep)
               : fb_conv_host_prepare_weights (A, O, W, &p, c->wt, c->prep)) == FB_KERNEL_OK)
      {
        c->wu = c->prep;
        p.flag_relu |= FB_KERNEL_FLAG_HOST_PREPARED;
      }
  }
  c->p = p;
}
static void
setup_pool_or_linear (Call *c, const L *l, int b)
{
  if (l->kind == 2)
    {
      c->pool = fb_avgpool_lookup (b);
      c->in = random_bytes ((size_t) l->h * l->w * l->cin * b / 8);
      c->out = malloc (l->cin);
    }
  else
    {
      c->fc = fb_linear_i32_lookup (b, b);
      c->n_s = fb_linear_get_buffer_size (b, 32, b, l->cin, l->cout);
      c->in = random_bytes ((size_t) l->cin * b / 8);
      c->s = malloc (c->n_s > 0 ? c->n_s : 1);
      c->wt = random_bytes (fb_kernel_weight_row_bytes (l->cin, b) * (size_t) l->cout);
      c->bias = calloc ((size_t) l->cout, 4);
      c->out32 = malloc (4 * (size_t) l->cout);
    }
}
static void
call (const Call *c)
{
  const L *l = c->l;
  FbKernelStatus st;
  if (c->kind == 2)
    st = c->pool (c->in, c->out, l->w, l->h, l->cin, 0);
  else if (c->kind == 3)
    st = c->fc (c->in, c->wt, c->bias, c->out32, l->cin, l->cout, 0, c->s, c->n_s);
  else
    st = c->conv (c->in, c->wu, c->kappa, c->lambda, c->out, &c->p, c->s, c->n_s);
  if (st != FB_KERNEL_OK)
    {
      fprintf (stderr, "layer %s: kernel error\n", l->name);
      exit (1);
    }
}
#define NL (sizeof layers / sizeof *layers)
static const int bits[3] = { 8, 4, 2 };
int
main (void)
{
  static Call calls[3][NL];
  /* per layer: the smallest over 100 repetitions of the thread CPU time per call of 100 calls,
   * µs; chain: of 10 chains over 300 repetitions; the configs alternate in each repetition */
  static double best[3][NL];
  double chain[3] = { 1e9, 1e9, 1e9 };
  size_t li;
  int b, r, k;
  srand (1);
  for (b = 0; b < 3; b++)
    for (li = 0; li < NL; li++)
      {
        Call *c = &calls[b][li];
        memset (c, 0, sizeof *c);
        c->l = &layers[li];
        c->kind = layers[li].kind;
        if (c->kind >= 2)
          setup_pool_or_linear (c, c->l, bits[b]);
        else
          setup_conv (c, c->l, li == 0 ? 8 : bits[b], bits[b], bits[b]);
        best[b][li] = 1e9;
      }
  for (li = 0; li < NL; li++)
    for (r = 0; r < 100; r++)
      for (b = 0; b < 3; b++)
        {
          const double t0 = cpu_now ();
          double t;
          for (k = 0; k < 100; k++)
            call (&calls[b][li]);
          t = (cpu_now () - t0) / 100 * 1e6;
          best[b][li] = t < best[b][li] ? t : best[b][li];
        }
  for (r = 0; r < 300; r++)
    for (b = 0; b < 3; b++)
      {
        const double t0 = cpu_now ();
        double t;
        for (k = 0; k < 10; k++)
          for (li = 0; li < NL; li++)
            call (&calls[b][li]);
        t = (cpu_now () - t0) / 10 * 1e6;
        chain[b] = t < chain[b] ? t : chain[b];
      }
  for (b = 0; b < 3; b++)
    {
      /* total_us: conv + depthwise (the figure of earlier rounds); stages_us: the first layer,
       * the depthwise, the other (pointwise) convs, the pool, the classifier */
      double conv_dw = 0, first = 0, dw = 0, pw = 0, pool = 0, fc = 0;
      printf ("{\"layers\": \"w%da%d\", \"us_per_call\": {", bits[b], bits[b]);
      for (li = 0; li < NL; li++)
        {
          const double t = best[b][li];
          const int kind = layers[li].kind;
          if (kind >= 2)
            *(kind == 2 ? &pool : &fc) += t;
          else
            {
              conv_dw += t;
              *(li == 0 ? &first : kind == 1 ? &dw : &pw) += t;
            }
          printf ("%s\"%s\": %.2f", li ? ", " : "", layers[li].name, t);
        }
      printf ("}, \"total_us\": %.2f, \"stages_us\": {\"first_conv\": %.2f, \"depthwise\": %.2f, "
              "\"pointwise\": %.2f, \"pool\": %.2f, \"classifier\": %.2f, \"all_kernels\": %.2f}, "
              "\"chain_us\": %.2f, \"host_code\": \"%s\"}\n", conv_dw, first, dw, pw, pool, fc,
              first + dw + pw + pool + fc, chain[b], fb_kernel_host_code ());
    }
  return 0;
}
EOF
cc -O2 -std=gnu17 -I "$root/src/kernels" -I "$tmp" "$tmp/layers.c" \
  "$build/src/kernels/libfbkernels.a" -o "$tmp/layers"
echo "{\"layers_uptime\": \"$(uptime | sed 's/.*load/load/')\", \"utc\": \"$(date -u +%H:%M:%S)\"}"
"$tmp/layers" | tee "$tmp/layers.log"
# ---- the whole evaluation by stage: one thread, CPU time per image ----
# Each config's 10 000-image evaluation with one thread, twice, as CPU µs per image (the
# process's user + system time less that of the same command with --limit 1, which loads the
# data set and folds the weights; the smaller of the two), against the sum of its kernels
# above: outside_kernels_us is what the per-layer part does not see (the evaluator's per-image
# work, and the caches of a real network's sequence of layers against the hot repetitions of
# one layer).  CPU time, which a loaded machine inflates less than wall time.  Each command
# runs the evaluation REPEAT times (`eval --repeat`): the CPU time is their mean, and
# int_seconds_min the fastest run's wall time (a build without --repeat: one run).
rep_args=()
if "$cli" eval --help 2>&1 | grep -q -- --repeat && [ "$repeat" -gt 1 ]; then
  rep_args=(--repeat "$repeat")
else
  repeat=1
fi
for rep in 1 2; do
  for cfg in w8a8 w4a4 w2a2; do
    /usr/bin/python3 -c '
import json, resource, subprocess, sys
def cpu(args):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return json.loads(out), (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
n = int(sys.argv[1])
d, t = cpu(sys.argv[2:])
# the same command, one run (--repeat N are the last two arguments), one image
_, t1 = cpu((sys.argv[2:-2] if n > 1 else sys.argv[2:]) + ["--limit", "1"])
print(json.dumps({"whole_1thread": d["config"], "images": d["images"], "repeat": n,
                  "eval_cpu_seconds": round((t - t1) / n, 3), "int_seconds": d["int_seconds"],
                  "int_seconds_min": d.get("int_seconds_min", d["int_seconds"]),
                  "logits_fnv1a": d["logits_fnv1a"]}))' "$repeat" \
      "$cli" eval "$net" --config "$cfg" --weights "$tmp/w.fbw" --threads 1 --no-float --json \
      "${rep_args[@]}"
  done
done | tee "$tmp/whole.log"
echo "{\"whole_uptime\": \"$(uptime | sed 's/.*load/load/')\", \"utc\": \"$(date -u +%H:%M:%S)\"}"
# ---- the real evaluation by step: FB_EVAL_STEP_TIMES ----
# Each config's one-thread evaluation of the 10 000 images once more with every step timed per
# image (fb_int_network_report_step_times(): wall time, so the median per step, which the
# load's interruptions move less than the mean): the kernels as the real sequence of layers
# runs them, against the per-layer part above; whole_run_median_us is the median image's
# fb_int_network_run() (the input copy and the steps, timers included: ≈ 0.02 µs per step).
for cfg in w8a8 w4a4 w2a2; do
  FB_EVAL_STEP_TIMES=1 "$cli" eval "$net" --config "$cfg" --weights "$tmp/w.fbw" --threads 1 \
    --no-float --json 2> "$tmp/steps.$cfg" > /dev/null
  grep '^{"step"' "$tmp/steps.$cfg" | sed "s/^{/{\"eval_steps\": \"$cfg\", /" >> "$tmp/steps.log"
done
/usr/bin/python3 - "$tmp/layers.log" "$tmp/whole.log" "$tmp/steps.log" <<'EOF'
import json, sys
t, st, whole, wmin, chain = {}, {}, {}, {}, {}
for l in open(sys.argv[1]):
    if l.strip():
        d = json.loads(l)
        t[d["layers"]] = d["total_us"]
        st[d["layers"]] = d["stages_us"]
        chain[d["layers"]] = d["chain_us"]
for l in open(sys.argv[2]):
    if l.strip():
        d = json.loads(l)
        us = d["eval_cpu_seconds"] / (d["images"] - 1) * 1e6
        whole[d["whole_1thread"]] = min(us, whole.get(d["whole_1thread"], us))
        us = d["int_seconds_min"] / d["images"] * 1e6
        wmin[d["whole_1thread"]] = min(us, wmin.get(d["whole_1thread"], us))
# the real evaluation's medians: the whole run and the sum of its steps' medians
real = {}
for l in open(sys.argv[3]):
    d = json.loads(l)
    if d["kernel"] == "whole run":
        real[d["eval_steps"]] = (d["median_us"], d["steps_median_sum_us"])
for c in ("w8a8", "w4a4", "w2a2"):
    out = {"stages_per_image_us": c, **st[c], "chain_us": chain[c], "whole_1thread_us": round(whole[c], 2),
           "whole_1thread_min_us": round(wmin[c], 2),
           "outside_kernels_us": round(whole[c] - st[c]["all_kernels"], 2),
           "eval_run_median_us": real[c][0], "eval_steps_median_sum_us": real[c][1]}
    print(json.dumps(out))
print(json.dumps({"summary": "ratios to w8a8 (<= 1: no slower)",
                  "chain_w4a4_over_w8a8": round(chain["w4a4"] / chain["w8a8"], 3),
                  "chain_w2a2_over_w8a8": round(chain["w2a2"] / chain["w8a8"], 3),
                  "layers_w4a4_over_w8a8": round(t["w4a4"] / t["w8a8"], 2),
                  "layers_w2a2_over_w8a8": round(t["w2a2"] / t["w8a8"], 2),
                  "all_kernels_w4a4_over_w8a8": round(st["w4a4"]["all_kernels"] / st["w8a8"]["all_kernels"], 2),
                  "all_kernels_w2a2_over_w8a8": round(st["w2a2"]["all_kernels"] / st["w8a8"]["all_kernels"], 2),
                  "whole_1thread_w4a4_over_w8a8": round(whole["w4a4"] / whole["w8a8"], 2),
                  "whole_1thread_w2a2_over_w8a8": round(whole["w2a2"] / whole["w8a8"], 2),
                  "whole_1thread_min_w4a4_over_w8a8": round(wmin["w4a4"] / wmin["w8a8"], 2),
                  "whole_1thread_min_w2a2_over_w8a8": round(wmin["w2a2"] / wmin["w8a8"], 2),
                  "eval_run_median_w4a4_over_w8a8": round(real["w4a4"][0] / real["w8a8"][0], 3),
                  "eval_run_median_w2a2_over_w8a8": round(real["w2a2"][0] / real["w8a8"][0], 3)}))
EOF
