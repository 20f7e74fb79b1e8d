/* kernel-selftest.c — see kernel-selftest.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kernel-selftest.h"

#include <stdio.h>
#include <string.h>

#include "fb-kernel-bench.h"
#include "fb-kernel-workload.h"

static void
conv_shape (FbKernelBenchShape *s, int in_x, int in_y, int cin, int cout, int kx, int ky,
            int pt, int pb, int pl, int pr, int sx, int sy)
{
  memset (s, 0, sizeof *s);
  s->conv.dim_in_x = in_x;
  s->conv.dim_in_y = in_y;
  s->conv.ch_in = cin;
  s->conv.ch_out = cout;
  s->conv.dim_kernel_x = kx;
  s->conv.dim_kernel_y = ky;
  s->conv.pad_top = pt;
  s->conv.pad_bottom = pb;
  s->conv.pad_left = pl;
  s->conv.pad_right = pr;
  s->conv.stride_x = sx;
  s->conv.stride_y = sy;
}

/* Shapes per family: odd sizes, asymmetric padding, stride 2, channel counts that are not
 * multiples of 4, reductions long enough for several SWAR flushes (a4 x w2: > 1456 steps),
 * pointwise. */
static int
shapes (FbKernelFamily f, FbKernelBenchShape *out)
{
  int n = 0;
  switch (f)
    {
    case FB_KERNEL_FAMILY_CONV:
      conv_shape (&out[n++], 5, 7, 16, 6, 3, 3, 1, 0, 2, 1, 1, 1);
      conv_shape (&out[n++], 9, 6, 40, 20, 3, 3, 1, 1, 1, 1, 2, 2);
      conv_shape (&out[n++], 4, 3, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1);
      conv_shape (&out[n++], 3, 3, 200, 5, 3, 3, 1, 1, 1, 1, 1, 1);
      conv_shape (&out[n++], 8, 8, 32, 16, 1, 1, 0, 0, 0, 0, 1, 1);
      conv_shape (&out[n++], 6, 5, 24, 12, 1, 3, 2, 0, 0, 1, 1, 2);
      /* more output channels than one pass of the scalar path (32), not a multiple of it */
      conv_shape (&out[n++], 5, 4, 16, 72, 3, 3, 1, 1, 1, 1, 1, 1);
      /* columns longer than the scalar path gathers at once (368 k steps), split inside a
       * tap: pointwise on 520 channels (the direct 1x1 case of the ImageNet networks), and
       * an odd channel count (the value-by-value gather) over more than one pass */
      conv_shape (&out[n++], 3, 2, 520, 8, 1, 1, 0, 0, 0, 0, 1, 1);
      conv_shape (&out[n++], 4, 3, 45, 36, 3, 3, 1, 1, 1, 1, 1, 1);
      /* the fused u8 x i8 path's gathers: blocks of 4 pixels inside the input byte by byte
       * (3 channels) and in words at stride 2, a pointwise image of 15 pixels (its last
       * block 3 wide), windows entirely in the top padding */
      conv_shape (&out[n++], 13, 3, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1);
      conv_shape (&out[n++], 19, 4, 8, 12, 3, 3, 1, 1, 1, 1, 2, 2);
      conv_shape (&out[n++], 5, 3, 16, 8, 1, 1, 0, 0, 0, 0, 1, 1);
      conv_shape (&out[n++], 4, 4, 4, 4, 3, 3, 3, 0, 1, 1, 1, 1);
      /* u2 x i2's gather with 2 words per pixel (32 channels): inner blocks of 4 pixels that
       * span two rows, the padded edge columns in blocks of 4 rows */
      conv_shape (&out[n++], 7, 9, 32, 12, 3, 3, 1, 1, 1, 1, 1, 1);
      /* the same with 64 outputs per channel: u2 x i2's 2-bit outputs by thresholds
       * (conv_scalar_thr_ok(); the shape above has 63), rows of 6 inner pixels */
      conv_shape (&out[n++], 8, 8, 32, 12, 3, 3, 1, 1, 1, 1, 1, 1);
      break;
    case FB_KERNEL_FAMILY_DEPTHWISE:
      conv_shape (&out[n++], 7, 5, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1);
      conv_shape (&out[n++], 6, 6, 12, 12, 3, 3, 0, 1, 1, 0, 2, 2);
      /* more channels than one pass of the scalar path (64) */
      conv_shape (&out[n++], 6, 4, 72, 72, 3, 3, 1, 1, 1, 1, 1, 1);
      /* the stride-1 row sweep's edges: no padding (2 warm-up columns, no drain), 2 columns
       * of left padding (no warm-up) with stride 2 along y, 2 columns of right padding on a
       * 2-wide input (drain 2), a 1-wide input under a 1x3 kernel */
      conv_shape (&out[n++], 5, 4, 8, 8, 3, 3, 0, 0, 0, 0, 1, 1);
      conv_shape (&out[n++], 6, 7, 6, 6, 3, 3, 2, 1, 2, 1, 1, 2);
      conv_shape (&out[n++], 2, 3, 8, 8, 3, 2, 1, 0, 1, 2, 1, 1);
      conv_shape (&out[n++], 1, 3, 4, 4, 3, 1, 0, 0, 1, 1, 1, 1);
      /* stride 2 on a wider input; the pair sweep (stride 1, the workload's out_shift: s8,
       * s10) over 3 pairs and an odd row with one step left over, and with a drain of 2
       * columns (requantization by shape: depthwise_requant_variety()) */
      conv_shape (&out[n++], 16, 9, 16, 16, 3, 3, 1, 1, 1, 1, 2, 2);
      conv_shape (&out[n++], 5, 9, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1);
      conv_shape (&out[n++], 9, 8, 24, 24, 3, 3, 1, 0, 1, 0, 2, 2);
      conv_shape (&out[n++], 4, 6, 16, 16, 3, 3, 1, 1, 0, 2, 1, 1);
      /* the pad pairs (a padded top or bottom row paired with a full one; even s, the
       * workload's out_shift): at stride 2 top pair, a pair, bottom pair (s12); at stride 1
       * the top pair taking the only full row, the bottom row left alone (s14); s11, s13 the
       * same kind of shapes at out_shift 33 and 32 */
      conv_shape (&out[n++], 9, 10, 8, 8, 3, 3, 1, 1, 1, 1, 2, 2);
      conv_shape (&out[n++], 11, 11, 16, 16, 3, 3, 1, 1, 1, 1, 2, 2);
      conv_shape (&out[n++], 6, 5, 4, 4, 3, 3, 1, 0, 1, 1, 1, 1);
      conv_shape (&out[n++], 7, 3, 24, 24, 3, 3, 1, 1, 1, 1, 1, 1);
      /* s15: stride 2, two full pairs of 17 outputs (a sub-byte input's two-channel pass,
       * fb_ki_rv32_dwpair2_s2_*) at the workload's out_shift (21-31) with kappa > 0 on every
       * channel: u4 x i8's requantization without lam_hi (the q routines) */
      conv_shape (&out[n++], 34, 10, 8, 8, 3, 3, 1, 1, 1, 1, 2, 2);
      break;
    case FB_KERNEL_FAMILY_LINEAR:
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 100;
      out[n++].num_o = 12;
      /* prepared layout: groups of 16 rows, blocks of 4 and 1; many SWAR flushes */
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 1000;
      out[n++].num_o = 40;
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 24;
      out[n++].num_o = 4;
      /* prepared, input longer than the staging's part (384 words): two parts at 2 inputs
       * per word, two sets of rows (96 + 8) */
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 1040;
      out[n++].num_o = 104;
      break;
    case FB_KERNEL_FAMILY_LINEAR_I32:
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 100;
      out[n++].num_o = 10;
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 520;
      out[n++].num_o = 37;
      /* staged in parts with every plan (up to 4 inputs per word: 3 parts at T = 2), two
       * sets of rows ending in blocks of 4 and 1 */
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_vec = 1600;
      out[n++].num_o = 101;
      break;
    case FB_KERNEL_FAMILY_AVGPOOL2D:
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      conv_shape (&out[n++], 7, 6, 8, 8, 3, 3, 1, 1, 1, 0, 2, 2);
      conv_shape (&out[n++], 5, 5, 16, 16, 2, 3, 0, 2, 1, 0, 1, 2);
      break;
    case FB_KERNEL_FAMILY_ADD:
    case FB_KERNEL_FAMILY_AVGPOOL:
      memset (&out[n], 0, sizeof out[n]);
      out[n].dim_x = 5;
      out[n].dim_y = 3;
      out[n++].ch = 8;
      break;
    default:
      break;
    }
  return n;
}

/* The flag words each family runs with: unsigned first (the original list), then signed
 * operands. */
static int
flag_sets (FbKernelFamily f, int32_t *out)
{
  int n = 0;
  out[n++] = 0;
  switch (f)
    {
    case FB_KERNEL_FAMILY_ADD:
      out[n++] = FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_IN2 | FB_KERNEL_FLAG_SIGNED_OUT;
      out[n++] = FB_KERNEL_FLAG_SIGNED_IN2;
      break;
    case FB_KERNEL_FAMILY_LINEAR_I32:
    case FB_KERNEL_FAMILY_AVGPOOL:
    case FB_KERNEL_FAMILY_MAXPOOL2D:
      out[n++] = FB_KERNEL_FLAG_SIGNED_IN;
      break;
    case FB_KERNEL_FAMILY_AVGPOOL2D:
      out[n++] = FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_COUNT_INCLUDE_PAD;
      break;
    default:
      out[n++] = FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_OUT;
      out[n++] = FB_KERNEL_FLAG_SIGNED_OUT;
      break;
    }
  /* weights laid out at export time (scalar builds; kernel_selftest_run() drops the flag
   * elsewhere, so the host lines these are compared with come from packed weights) */
  if (f == FB_KERNEL_FAMILY_LINEAR || f == FB_KERNEL_FAMILY_LINEAR_I32)
    {
      out[n++] = FB_KERNEL_FLAG_PREPARED_WEIGHTS;
      out[n++] = FB_KERNEL_FLAG_PREPARED_WEIGHTS | FB_KERNEL_FLAG_SIGNED_IN
                 | (f == FB_KERNEL_FAMILY_LINEAR ? FB_KERNEL_FLAG_SIGNED_OUT : FB_KERNEL_FLAG_RELU);
    }
  if (f == FB_KERNEL_FAMILY_CONV)
    {
      out[n++] = FB_KERNEL_FLAG_PREPARED_WEIGHTS;
      out[n++] = FB_KERNEL_FLAG_PREPARED_WEIGHTS | FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_OUT;
    }
  return n;
}

/* A trained layer's requantization at out_shift d (the quantizer's choose_shift() takes the
 * largest shift for which kappa and lambda fit int32, so |kappa| is near 2^31): every channel
 * |kappa| in [2^28, 2^31) (negative on every fourth channel when neg), lambda within
 * +-2^(d + O - 1) (outputs moved by up to half their range) or at the ends of int32. */
static void
requant_at_shift (FbKernelBenchCase *c, int s, int out_bits, int32_t d, int neg)
{
  const int64_t lr = (int64_t) 1 << (d + out_bits - 1 < 31 ? d + out_bits - 1 : 31);
  uint32_t x = 0x2545F491u + (uint32_t) s * 0x9E3779B9u;
  int32_t i;
  for (i = 0; i < c->shape.conv.ch_out; i++)
    {
      const int64_t k = ((int64_t) 1 << 28)
                        + (int64_t) (fb_kernel_workload_random (&x) % 0x70000000u);
      const uint32_t r = fb_kernel_workload_random (&x);
      int64_t l = lr > INT32_MAX ? (int64_t) (int32_t) r
                                 : (int64_t) (r % (uint32_t) (2 * lr)) - lr;
      if (i % 7 == 5)
        l = i % 2 ? INT32_MAX : INT32_MIN;
      c->kappa[i] = (int32_t) (neg && i % 4 == 3 ? -k : k);
      c->lambda[i] = (int32_t) l;
    }
  c->shape.conv.out_shift = d;
  c->out_shift = d;
}

/* The shifts the variety passes target besides the workload's own (21-31, fb-kernel-bench.c
 * fill_requant()): 32 (t = 0, no high-word shift) and above (the conv's _hi epilogues, the
 * depthwise's shr > 0), which no trained layer has but the kernels' contract allows. */
static const int32_t variety_shifts[5] = { 33, 32, 36, 34, 40 };

/* The depthwise workloads' requantization, by shape: even shapes the workload's own; odd
 * shapes in turn out_shift 12 lower than the workload's (the RV32 row sweep's pre-shift then
 * often too wide: the C requantization) or one of variety_shifts (the sweeps' out_shift >= 32
 * forms).  Negative kappa on odd channels from s5 on (outputs clipped at both ends).  s15
 * keeps the workload's own (its channel pairs need kappa > 0 and out_shift <= 32). */
static void
depthwise_requant_variety (FbKernelBenchCase *c, int s)
{
  int32_t i;
  if (s == 15)
    return;
  if (s % 2 == 1 && s % 3 != 0)
    requant_at_shift (c, s, c->variant->out_bits, variety_shifts[(s / 2) % 5], 0);
  else if (s % 2 == 1)
    {
      for (i = 0; i < c->shape.conv.ch_out; i++)
        {
          c->kappa[i] >>= 12;
          c->lambda[i] >>= 12;
        }
      c->shape.conv.out_shift -= 12;
      c->out_shift = c->shape.conv.out_shift;
    }
  for (i = 0; i < c->shape.conv.ch_out; i++)
    if (s >= 5 && s != 15 && i % 2 == 1)
      c->kappa[i] = -c->kappa[i];
}

/* The conv workloads' requantization, by shape: the workload's own (s % 3 == 0), one of
 * variety_shifts (s % 3 == 1: the _hi epilogues and t = 0) and the workload's scale with
 * out_shift 8 lower and negative kappa on odd channels (s % 3 == 2). */
static void
conv_requant_variety (FbKernelBenchCase *c, int s)
{
  int32_t i;
  if (s % 3 == 1)
    {
      requant_at_shift (c, s, c->variant->out_bits, variety_shifts[(s / 3) % 5], 1);
      return;
    }
  if (s % 3 == 0)
    return;
  for (i = 0; i < c->shape.conv.ch_out; i++)
    {
      c->kappa[i] >>= 8;
      c->lambda[i] >>= 8;
      if (i % 2 == 1)
        c->kappa[i] = -c->kappa[i];
    }
  c->shape.conv.out_shift -= 8;
  c->out_shift = c->shape.conv.out_shift;
}

/* Pass 2: a trained layer's requantization at out_shift 26 ... 31 (where kappa * 2^(32 -
 * out_shift) overflows int32: the RV32 conv's _sh epilogues, kappa times the sums << t, and
 * u2 x i2's thresholds) or 34, 37 (the high-word form). */
static void
trained_requant (FbKernelBenchCase *c, int s, int out_bits)
{
  static const int32_t shifts[8] = { 26, 27, 28, 29, 30, 31, 34, 37 };
  requant_at_shift (c, s, out_bits, shifts[s % 8], 1);
}

/* The families whose kernels keep sums in lanes or partial sums whose bounds depend on the
 * operands: they run every shape twice, the second time with extreme operands (conv and
 * depthwise a third time with trained_requant()). */
static int
has_lane_bounds (int f)
{
  return f == FB_KERNEL_FAMILY_CONV || f == FB_KERNEL_FAMILY_DEPTHWISE
         || f == FB_KERNEL_FAMILY_LINEAR || f == FB_KERNEL_FAMILY_LINEAR_I32;
}

int
kernel_selftest_run (void (*emit) (const char *line, void *user_data), void *user_data)
{
  int f, bad = 0, ex;
  /* ex: 0 uniform operands, 1 extreme ones, 2 conv and depthwise with trained_requant()
   * (extreme operands on odd shapes) */
  for (ex = 0; ex < 3; ex++)
  for (f = 0; f < FB_KERNEL_N_FAMILIES; f++)
    {
      FbKernelBenchShape sh[16];
      int32_t fl[6];
      size_t nv = 0, v;
      int ns = shapes ((FbKernelFamily) f, sh), s, nf = flag_sets ((FbKernelFamily) f, fl), k;
      if (ex && !has_lane_bounds (f))
        continue;
      if (ex == 2 && f != FB_KERNEL_FAMILY_CONV && f != FB_KERNEL_FAMILY_DEPTHWISE)
        continue;
      fb_kernel_family_variants ((FbKernelFamily) f, &nv);
      for (k = 0; k < nf; k++)
      for (v = 0; v < nv; v++)
        for (s = 0; s < ns; s++)
          {
            FbKernelBenchCase c;
            char line[160];
            int st, ok;
            sh[s].flags = fl[k];
            sh[s].extremes = ex == 1 || (ex == 2 && s % 2 == 1);
            if (!FB_KERNEL_SCALAR_BUILD)
              sh[s].flags &= ~FB_KERNEL_FLAG_PREPARED_WEIGHTS;
            if (fb_kernel_bench_setup (&c, (FbKernelFamily) f, v, &sh[s],
                                       0x1234567u + (uint32_t) (f * 1000 + (int) v * 10 + s)
                                         + (uint32_t) ex * 0x9e3779b9u) != 0)
              {
                snprintf (line, sizeof line, "family %d variant %d s%d setup failed", f, (int) v, s);
                emit (line, user_data);
                bad++;
                continue;
              }
            if (ex == 2)
              trained_requant (&c, s, c.variant->out_bits);
            else if (f == FB_KERNEL_FAMILY_DEPTHWISE && s >= 3)
              depthwise_requant_variety (&c, s);
            else if (f == FB_KERNEL_FAMILY_CONV)
              conv_requant_variety (&c, s);
            st = (int) fb_kernel_bench_run (&c);
            fb_kernel_bench_run_ref (&c);
            ok = st == 0 && fb_kernel_bench_matches_ref (&c);
            bad += !ok;
            snprintf (line, sizeof line, "%s s%d%s f%x st=%d ref=%d n=%lu h=%08lx",
                      c.variant->name, s, ex == 2 ? "t" : ex ? "x" : "", (unsigned) fl[k], st, ok,
                      (unsigned long) c.output_bytes,
                      (unsigned long) fb_kernel_bench_output_hash (&c));
            emit (line, user_data);
            fb_kernel_bench_clear (&c);
          }
    }
  return bad;
}
