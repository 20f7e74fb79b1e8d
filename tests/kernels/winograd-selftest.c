/* winograd-selftest.c — see winograd-selftest.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "winograd-selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb-kernel-bench.h"
#include "fb-kernel-internal.h"
#include "fb-kernel-pack.h"
#include "fb-kernel-workload.h"

#define N_RANDOM 160

static int32_t
rnd (uint32_t *s, int32_t lo, int32_t hi)
{
  return lo + (int32_t) (fb_kernel_workload_random (s) % (uint32_t) (hi - lo + 1));
}

/* Index of fb_conv_u8_u<out_bits>_i8 in the conv family. */
static size_t
variant_index (int out_bits)
{
  size_t n = 0, v;
  const FbKernelVariant *vs = fb_kernel_family_variants (FB_KERNEL_FAMILY_CONV, &n);
  for (v = 0; v < n; v++)
    if (vs[v].in_bits == 8 && vs[v].w_bits == 8 && vs[v].out_bits == out_bits)
      return v;
  return 0;
}

static void
random_shape (uint32_t *s, FbKernelBenchShape *sh)
{
  static const int32_t flag_sets[4] = {
    0, FB_KERNEL_FLAG_SIGNED_OUT, FB_KERNEL_FLAG_SIGNED_IN,
    FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_OUT,
  };
  FbConvParams *p = &sh->conv;
  memset (sh, 0, sizeof *sh);
  p->dim_in_x = rnd (s, 1, 11);
  p->dim_in_y = rnd (s, 1, 11);
  /* mostly one chunk of input channels and one pass of output channels, sometimes more */
  p->ch_in = rnd (s, 0, 3) == 0 ? rnd (s, 33, 100) : rnd (s, 16, 32);
  p->ch_out = rnd (s, 0, 3) == 0 ? rnd (s, 33, 80) : rnd (s, 16, 32);
  p->dim_kernel_x = p->dim_kernel_y = 3;
  p->stride_x = p->stride_y = 1;
  p->pad_top = rnd (s, 0, 2);
  p->pad_bottom = rnd (s, 0, 2);
  p->pad_left = rnd (s, 0, 2);
  p->pad_right = rnd (s, 0, 2);
  /* the window must fit in the padded input */
  while (p->dim_in_x + p->pad_left + p->pad_right < 3)
    p->pad_right++;
  while (p->dim_in_y + p->pad_top + p->pad_bottom < 3)
    p->pad_bottom++;
  sh->flags = FB_KERNEL_FLAG_PREPARED_WEIGHTS | flag_sets[rnd (s, 0, 3)];
  if (fb_kernel_arch () != FB_KERNEL_ARCH_SCALAR)
    sh->flags &= ~FB_KERNEL_FLAG_PREPARED_WEIGHTS;
}

/* The direct sum of output pixel (oy, ox), channel co, from the case's unpacked values. */
static int64_t
direct_acc (const FbKernelBenchCase *c, int32_t oy, int32_t ox, int32_t co)
{
  const FbConvParams *p = &c->shape.conv;
  int64_t acc = 0;
  int32_t ky, kx, ci;
  for (ky = 0; ky < 3; ky++)
    for (kx = 0; kx < 3; kx++)
      {
        const int32_t iy = oy - p->pad_top + ky, ix = ox - p->pad_left + kx;
        if (iy < 0 || iy >= p->dim_in_y || ix < 0 || ix >= p->dim_in_x)
          continue;
        for (ci = 0; ci < p->ch_in; ci++)
          acc += (int64_t) c->ref_x[((size_t) iy * (size_t) p->dim_in_x + (size_t) ix)
                                    * (size_t) p->ch_in + (size_t) ci]
                 * c->ref_w[(((size_t) co * 3 + (size_t) ky) * 3 + (size_t) kx)
                            * (size_t) p->ch_in + (size_t) ci];
      }
  return acc;
}

/* Inputs and weights at the ends of their grids (mode 0: x max, w -128; 1: x max, w 127;
 * 2: x a checkerboard of max and min, w alternating -128 / 127 by tap and channel; 3: x min,
 * w -128), weights packed (and prepared) again, and the requantization kappa 1, shift 0,
 * lambda 100 - acc of output pixel (1, 1): that pixel's outputs are 100 exactly when its
 * accumulators are right.  Returns 0 or -1 (allocation). */
static int
make_extreme (FbKernelBenchCase *c, int mode)
{
  FbConvParams *p = &c->shape.conv;
  const int si = (p->flag_relu & FB_KERNEL_FLAG_SIGNED_IN) != 0;
  const int32_t hi = si ? 127 : 255, lo = si ? -128 : 0;
  const size_t k_len = 9 * (size_t) p->ch_in, n_w = k_len * (size_t) p->ch_out;
  const size_t n_in = (size_t) p->dim_in_x * (size_t) p->dim_in_y * (size_t) p->ch_in;
  int8_t *w8 = (int8_t *) malloc (n_w);
  uint8_t *packed = (uint8_t *) malloc (fb_kernel_conv_weights_bytes ((size_t) p->ch_out, k_len, 8));
  size_t i;
  int32_t co;

  if (w8 == NULL || packed == NULL)
    {
      free (w8);
      free (packed);
      return -1;
    }
  for (i = 0; i < n_in; i++)
    {
      const size_t px = i / (size_t) p->ch_in;
      const int32_t y = (int32_t) (px / (size_t) p->dim_in_x), x = (int32_t) (px % (size_t) p->dim_in_x);
      const int32_t v = mode == 3 ? lo : mode == 2 && (x + y) % 2 == 1 ? lo : hi;
      c->ref_x[i] = v;
      c->input[i] = (uint8_t) v;
    }
  for (i = 0; i < n_w; i++)
    {
      const size_t tap = i % k_len / (size_t) p->ch_in, ch = i / k_len;
      const int32_t v = mode == 1 ? 127 : mode == 2 && (tap + ch) % 2 == 1 ? 127 : -128;
      c->ref_w[i] = v;
      w8[i] = (int8_t) v;
    }
  fb_kernel_pack_conv_weights (w8, (size_t) p->ch_out, k_len, 8, packed);
  if (p->flag_relu & FB_KERNEL_FLAG_PREPARED_WEIGHTS)
    fb_conv_prepare_weights (8, 8, 8, p, packed, c->weights);
  else
    memcpy (c->weights, packed, fb_kernel_conv_weights_bytes ((size_t) p->ch_out, k_len, 8));
  for (co = 0; co < p->ch_out; co++)
    {
      c->kappa[co] = 1;
      c->lambda[co] = (int32_t) (100 - direct_acc (c, 1, 1, co));
    }
  p->out_shift = 0;
  c->out_shift = 0;
  free (w8);
  free (packed);
  return 0;
}

/* Whether output pixel (1, 1) of an extreme case reads 100 in every channel (u8 output). */
static int
extreme_center_ok (const FbKernelBenchCase *c)
{
  const FbConvParams *p = &c->shape.conv;
  const uint8_t *o = c->output + ((size_t) p->dim_out_x + 1) * (size_t) p->ch_out;
  int32_t co;
  for (co = 0; co < p->ch_out; co++)
    if (o[co] != 100)
      return 0;
  return 1;
}

static int
run_one (int index, size_t variant, const FbKernelBenchShape *sh, uint32_t seed, int extreme,
         void (*emit) (const char *line, void *user_data), void *user_data, int *n_winograd)
{
  FbKernelBenchCase c;
  char line[160];
  int st, ok;

  if (fb_kernel_bench_setup (&c, FB_KERNEL_FAMILY_CONV, variant, sh, seed) != 0
      || (extreme >= 0 && make_extreme (&c, extreme) != 0))
    {
      snprintf (line, sizeof line, "wino %d setup failed", index);
      emit (line, user_data);
      return 1;
    }
  if (fb_ki_conv_winograd_applies (8, 8, &c.shape.conv))
    (*n_winograd)++;
  st = (int) fb_kernel_bench_run (&c);
  fb_kernel_bench_run_ref (&c);
  ok = st == 0 && fb_kernel_bench_matches_ref (&c) && (extreme < 0 || extreme_center_ok (&c));
  snprintf (line, sizeof line, "wino %d %s f%x st=%d ref=%d h=%08lx", index, c.variant->name,
            (unsigned) (sh->flags & ~FB_KERNEL_FLAG_PREPARED_WEIGHTS), st, ok,
            (unsigned long) fb_kernel_bench_output_hash (&c));
  emit (line, user_data);
  fb_kernel_bench_clear (&c);
  return !ok;
}

int
winograd_selftest_run (void (*emit) (const char *line, void *user_data), void *user_data,
                       int *n_cases, int *n_winograd)
{
  static const int out_bits[3] = { 8, 4, 2 };
  /* extreme cases: input side, Cin, signed input, mode */
  static const int32_t extremes[][4] = {
    { 4, 1024, 0, 0 }, { 4, 1024, 0, 1 }, { 5, 1000, 0, 2 }, { 4, 1024, 1, 0 },
    { 4, 1024, 1, 3 }, { 5, 999, 1, 2 }, { 6, 40, 0, 2 },
  };
  uint32_t s = 0x5eed1234u;
  int i, bad = 0, nw = 0, n = 0;

  for (i = 0; i < N_RANDOM; i++, n++)
    {
      FbKernelBenchShape sh;
      random_shape (&s, &sh);
      bad += run_one (i, variant_index (out_bits[i % 3]), &sh, 0x9e3779b9u * (uint32_t) (i + 1),
                      -1, emit, user_data, &nw);
    }
  for (i = 0; i < (int) (sizeof extremes / sizeof extremes[0]); i++, n++)
    {
      FbKernelBenchShape sh;
      memset (&sh, 0, sizeof sh);
      sh.conv.dim_in_x = sh.conv.dim_in_y = extremes[i][0];
      sh.conv.ch_in = extremes[i][1];
      sh.conv.ch_out = 16;
      sh.conv.dim_kernel_x = sh.conv.dim_kernel_y = 3;
      sh.conv.stride_x = sh.conv.stride_y = 1;
      sh.conv.pad_top = sh.conv.pad_bottom = sh.conv.pad_left = sh.conv.pad_right = 1;
      sh.flags = (extremes[i][2] ? FB_KERNEL_FLAG_SIGNED_IN : 0)
                 | (fb_kernel_arch () == FB_KERNEL_ARCH_SCALAR ? FB_KERNEL_FLAG_PREPARED_WEIGHTS
                                                                : 0);
      bad += run_one (N_RANDOM + i, variant_index (8), &sh, 77u + (uint32_t) i, extremes[i][3],
                      emit, user_data, &nw);
    }
  if (n_cases != NULL)
    *n_cases = n;
  if (n_winograd != NULL)
    *n_winograd = nw;
  return bad;
}
