/* test-kernels-host-prepared.c — the host conv with weights prepared once
 * (fb_conv_host_prepare_weights(), FB_KERNEL_FLAG_HOST_PREPARED) against the reference, for
 * every variant; and the layout refused where it does not apply.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "fb-kernel-pack.h"
#include "fb-kernel-ref.h"
#include "fb-kernels.h"

typedef struct {
  int a, o, w;
  FbConvFunc fn;
} Variant;

/* Shape of run_case()'s original cases: a k×k kernel, padding k/2 before, 0..k/2 after. */
static void
square_shape (FbConvParams *p, const Variant *v, GRand *rng, int k, int stride)
{
  const int step = MAX (8 / v->a, MAX (8 / v->o, 8 / v->w));
  p->dim_in_x = g_rand_int_range (rng, k, 12);
  p->dim_in_y = g_rand_int_range (rng, k, 9);
  p->ch_in = step * g_rand_int_range (rng, 1, 80 / step + 1);
  p->ch_out = step * g_rand_int_range (rng, 1, 80 / step + 1);
  p->dim_kernel_x = p->dim_kernel_y = k;
  p->pad_top = p->pad_left = k / 2;
  p->pad_bottom = p->pad_right = g_rand_int_range (rng, 0, k / 2 + 1);
  p->stride_x = p->stride_y = stride;
}

/* Any shape the host conv's row ring must handle: kernels 1–5 wide and high (not square),
 * strides 1–3 per axis (a stride over the kernel height skips input rows), padding 0..k-1
 * per side, output rows narrower than a 4-pixel block, channel counts at the variant's
 * granularity (any count for 8-bit operands, so kernel rows not a multiple of 4). */
static void
ring_shape (FbConvParams *p, const Variant *v, GRand *rng)
{
  const int ga = 8 / v->a, go = 8 / v->o, gw = 8 / v->w;
  /* cin: a multiple of the input's values per byte; cout: of the output's */
  const int cstep = MAX (ga, gw), ostep = go;
  p->dim_kernel_x = g_rand_int_range (rng, 1, 6);
  p->dim_kernel_y = g_rand_int_range (rng, 1, 6);
  p->pad_top = g_rand_int_range (rng, 0, p->dim_kernel_y);
  p->pad_bottom = g_rand_int_range (rng, 0, p->dim_kernel_y);
  p->pad_left = g_rand_int_range (rng, 0, p->dim_kernel_x);
  p->pad_right = g_rand_int_range (rng, 0, p->dim_kernel_x);
  p->dim_in_x = g_rand_int_range (rng, MAX (1, p->dim_kernel_x - p->pad_left - p->pad_right), 10);
  p->dim_in_y = g_rand_int_range (rng, MAX (1, p->dim_kernel_y - p->pad_top - p->pad_bottom), 8);
  p->ch_in = cstep * g_rand_int_range (rng, 1, 40 / cstep + 1);
  p->ch_out = ostep * g_rand_int_range (rng, 1, 72 / ostep + 1);
  p->stride_x = g_rand_int_range (rng, 1, 4);
  p->stride_y = g_rand_int_range (rng, 1, 4);
}

/* One random conv of variant v on shape p (geometry and channels set, the rest filled here):
 * packed operands, reference outputs, then the kernel with the prepared weights (64-byte
 * aligned copy) must write the reference bytes, and so must the kernel preparing the
 * weights itself; input, output and scratch start `skew` bytes past an aligned address.
 * Returns FALSE when this CPU/build has no prepared layout. */
static gboolean
run_case (const Variant *v, GRand *rng, FbConvParams p, size_t skew)
{
  const int k = p.dim_kernel_x; /* the weight rows' length is k_len, any k */
  const int k_len = p.dim_kernel_x * p.dim_kernel_y * p.ch_in;
  int32_t n_in, n_out, n_w, i;
  g_autofree int32_t *x = NULL, *wt = NULL, *kappa = NULL, *lambda = NULL, *yref = NULL;
  g_autofree uint8_t *xb = NULL, *xp_block = NULL, *wp = NULL, *out_block = NULL;
  g_autofree uint8_t *scratch_block = NULL, *prep_block = NULL, *expect = NULL;
  g_autofree int8_t *w8 = NULL;
  uint8_t *prep, *xp, *out, *scratch;
  size_t n_prep, n_scratch, out_bytes;

  (void) k;
  p.dim_out_x = (p.dim_in_x + p.pad_left + p.pad_right - p.dim_kernel_x) / p.stride_x + 1;
  p.dim_out_y = (p.dim_in_y + p.pad_top + p.pad_bottom - p.dim_kernel_y) / p.stride_y + 1;
  p.out_shift = g_rand_int_range (rng, 8, 20);
  p.flag_relu = FB_KERNEL_FLAG_RELU;

  n_prep = fb_conv_host_prepared_weights_size (v->a, v->o, v->w, &p);
  if (n_prep == 0)
    return FALSE;

  n_in = p.dim_in_x * p.dim_in_y * p.ch_in;
  n_out = p.dim_out_x * p.dim_out_y * p.ch_out;
  n_w = p.ch_out * k_len;
  x = g_new (int32_t, n_in);
  xb = g_new (uint8_t, n_in);
  wt = g_new (int32_t, n_w);
  w8 = g_new (int8_t, n_w);
  kappa = g_new (int32_t, p.ch_out);
  lambda = g_new (int32_t, p.ch_out);
  yref = g_new (int32_t, n_out);
  for (i = 0; i < n_in; i++)
    xb[i] = (uint8_t) (x[i] = g_rand_int_range (rng, 0, 1 << v->a));
  for (i = 0; i < n_w; i++)
    w8[i] = (int8_t) (wt[i] = g_rand_int_range (rng, -(1 << (v->w - 1)), 1 << (v->w - 1)));
  for (i = 0; i < p.ch_out; i++)
    {
      kappa[i] = g_rand_int_range (rng, -3000, 3000);
      lambda[i] = g_rand_int_range (rng, -(1 << 20), 1 << 20);
    }
  fb_ref_conv (x, wt, kappa, lambda, yref, &p, v->o, 0);

  xp_block = g_malloc (fb_kernel_packed_bytes ((size_t) n_in, v->a) + 64);
  xp = xp_block + (64 - GPOINTER_TO_SIZE (xp_block) % 64) % 64 + skew;
  g_assert_cmpint (fb_kernel_pack_unsigned (xb, (size_t) n_in, v->a, xp), ==, FB_KERNEL_OK);
  wp = g_malloc (fb_kernel_conv_weights_bytes ((size_t) p.ch_out, (size_t) k_len, v->w));
  g_assert_cmpint (fb_kernel_pack_conv_weights (w8, (size_t) p.ch_out, (size_t) k_len, v->w, wp),
                   ==, FB_KERNEL_OK);
  out_bytes = fb_kernel_packed_bytes ((size_t) n_out, v->o);
  expect = g_malloc (out_bytes);
  {
    g_autofree uint8_t *yb = g_new (uint8_t, n_out);
    for (i = 0; i < n_out; i++)
      yb[i] = (uint8_t) yref[i];
    g_assert_cmpint (fb_kernel_pack_unsigned (yb, (size_t) n_out, v->o, expect), ==, FB_KERNEL_OK);
  }

  prep_block = g_malloc (n_prep + 64 + 1);
  prep = prep_block + (64 - GPOINTER_TO_SIZE (prep_block) % 64) % 64;
  g_assert_cmpint (fb_conv_host_prepare_weights (v->a, v->o, v->w, &p, wp, prep), ==, FB_KERNEL_OK);
  n_scratch = fb_conv_get_buffer_size (v->a, v->o, v->w, &p);
  scratch_block = g_malloc (n_scratch + 64);
  scratch = scratch_block + (64 - GPOINTER_TO_SIZE (scratch_block) % 64) % 64 + skew;
  out_block = g_malloc (out_bytes + 8 + 64);
  out = out_block + (64 - GPOINTER_TO_SIZE (out_block) % 64) % 64 + skew;

  /* weights prepared by the kernel itself, in its scratch */
  memset (out, 0xA5, out_bytes + 8);
  g_assert_cmpint (v->fn (xp, wp, kappa, lambda, out, &p, scratch, n_scratch), ==, FB_KERNEL_OK);
  g_assert_cmpmem (out, out_bytes, expect, out_bytes);
  for (i = 0; i < 8; i++)
    g_assert_cmpint (out[out_bytes + (size_t) i], ==, 0xA5);

  memset (out, 0xA5, out_bytes + 8);
  p.flag_relu |= FB_KERNEL_FLAG_HOST_PREPARED;
  g_assert_cmpint (v->fn (xp, prep, kappa, lambda, out, &p, scratch, n_scratch), ==, FB_KERNEL_OK);
  g_assert_cmpmem (out, out_bytes, expect, out_bytes);
  for (i = 0; i < 8; i++)
    g_assert_cmpint (out[out_bytes + (size_t) i], ==, 0xA5); /* nothing written past the end */

  /* misaligned prepared weights, or a signed call: refused, nothing written */
  memset (out, 0xA5, out_bytes);
  memmove (prep + 1, prep, n_prep);
  g_assert_cmpint (v->fn (xp, prep + 1, kappa, lambda, out, &p, scratch, n_scratch), ==,
                   FB_KERNEL_ERROR_LAYOUT);
  p.flag_relu |= FB_KERNEL_FLAG_SIGNED_OUT;
  g_assert_cmpint (v->fn (xp, prep + 1, kappa, lambda, out, &p, scratch, n_scratch), ==,
                   FB_KERNEL_ERROR_LAYOUT);
  for (i = 0; i < (int32_t) out_bytes; i++)
    g_assert_cmpint (out[i], ==, 0xA5);
  return TRUE;
}

#define FB_TEST_VARIANT(i, o, w) { i, o, w, fb_conv_u##i##_u##o##_i##w },
static const Variant variants[] = { FB_KERNEL_VARIANTS_IOW (FB_TEST_VARIANT) };
#define FB_TEST_DW_VARIANT(i, o, w) { i, o, w, fb_depthwise_u##i##_u##o##_i##w },
static const Variant dw_variants[] = { FB_KERNEL_VARIANTS_IOW (FB_TEST_DW_VARIANT) };

/* One random 3×3 depthwise of variant v (the host's AVX-512 path on a CPU with it: sub-byte
 * inputs through its ring of byte rows, one block of ≤ 16 channels or several with a tail,
 * strides 1-3, any padding, narrow images) against the reference; input, output and scratch
 * `skew` bytes past an aligned address, nothing written past the output.  Then the same call
 * with the layer prepared once (fb_depthwise_host_prepare(), FB_KERNEL_FLAG_HOST_PREPARED,
 * where this CPU has it): the 2-bit outputs' thresholds are made from kappa of either sign,
 * 0 and INT32_MIN among them, shifts 0-33 and lambdas that make some quotients integers. */
static void
run_dw_case (const Variant *v, GRand *rng, size_t skew, int wide)
{
  const int step = MAX (8 / v->a, MAX (8 / v->o, 8 / v->w));
  FbConvParams p = { 0 };
  int32_t n_in, n_out, n_w, i;
  g_autofree int32_t *x = NULL, *wt = NULL, *kappa = NULL, *lambda = NULL, *yref = NULL;
  g_autofree uint8_t *xb = NULL, *yb = NULL, *xp_block = NULL, *wp = NULL, *out_block = NULL;
  g_autofree uint8_t *scratch_block = NULL, *expect = NULL, *prep_block = NULL;
  g_autofree int8_t *w8 = NULL;
  uint8_t *xp, *out, *scratch, *prep;
  size_t n_scratch, out_bytes, n_prep;

  p.dim_kernel_x = p.dim_kernel_y = 3;
  p.pad_top = g_rand_int_range (rng, 0, 3);
  p.pad_bottom = g_rand_int_range (rng, 0, 3);
  p.pad_left = g_rand_int_range (rng, 0, 3);
  p.pad_right = g_rand_int_range (rng, 0, 3);
  p.dim_in_x = g_rand_int_range (rng, MAX (1, 3 - p.pad_left - p.pad_right), 12);
  p.dim_in_y = g_rand_int_range (rng, MAX (1, 3 - p.pad_top - p.pad_bottom), 9);
  p.ch_in = p.ch_out = step * g_rand_int_range (rng, 1, 56 / step + 1);
  p.stride_x = g_rand_int_range (rng, 1, 4);
  p.stride_y = g_rand_int_range (rng, 1, 4);
  p.dim_out_x = (p.dim_in_x + p.pad_left + p.pad_right - 3) / p.stride_x + 1;
  p.dim_out_y = (p.dim_in_y + p.pad_top + p.pad_bottom - 3) / p.stride_y + 1;
  p.out_shift = wide ? g_rand_int_range (rng, 0, 34) : g_rand_int_range (rng, 4, 16);
  p.flag_relu = FB_KERNEL_FLAG_RELU;

  n_in = p.dim_in_x * p.dim_in_y * p.ch_in;
  n_out = p.dim_out_x * p.dim_out_y * p.ch_out;
  n_w = p.ch_in * 9;
  x = g_new (int32_t, n_in);
  xb = g_new (uint8_t, n_in);
  wt = g_new (int32_t, n_w);
  w8 = g_new (int8_t, n_w);
  kappa = g_new (int32_t, p.ch_out);
  lambda = g_new (int32_t, p.ch_out);
  yref = g_new (int32_t, n_out);
  yb = g_new (uint8_t, n_out);
  for (i = 0; i < n_in; i++)
    xb[i] = (uint8_t) (x[i] = g_rand_int_range (rng, 0, 1 << v->a));
  for (i = 0; i < n_w; i++)
    w8[i] = (int8_t) (wt[i] = g_rand_int_range (rng, -(1 << (v->w - 1)), 1 << (v->w - 1)));
  for (i = 0; i < p.ch_out; i++)
    {
      kappa[i] = g_rand_int_range (rng, -3000, 3000);
      lambda[i] = g_rand_int_range (rng, -(1 << 16), 1 << 16);
      if (wide)
        {
          const int r = g_rand_int_range (rng, 0, 8);
          if (r == 0)
            kappa[i] = 0;
          else if (r == 1)
            kappa[i] = INT32_MIN;
          else if (r == 2)
            kappa[i] = (int32_t) g_rand_int (rng);
          lambda[i] = (int32_t) g_rand_int (rng) >> g_rand_int_range (rng, 0, 31);
          if (g_rand_int_range (rng, 0, 3) == 0)
            {
              /* kappa·q + lambda = j·2^shift: an integer quotient of a threshold */
              const int64_t l = ((int64_t) g_rand_int_range (rng, 1, 4) << p.out_shift)
                                - (int64_t) kappa[i] * g_rand_int_range (rng, -400, 400);
              if (l >= INT32_MIN && l <= INT32_MAX)
                lambda[i] = (int32_t) l;
            }
        }
    }
  fb_ref_depthwise (x, wt, kappa, lambda, yref, &p, v->o, 0);
  for (i = 0; i < n_out; i++)
    yb[i] = (uint8_t) yref[i];

  xp_block = g_malloc (fb_kernel_packed_bytes ((size_t) n_in, v->a) + 64);
  xp = xp_block + (64 - GPOINTER_TO_SIZE (xp_block) % 64) % 64 + skew;
  g_assert_cmpint (fb_kernel_pack_unsigned (xb, (size_t) n_in, v->a, xp), ==, FB_KERNEL_OK);
  wp = g_malloc (fb_kernel_depthwise_weights_bytes ((size_t) p.ch_in, 3, 3, v->w));
  g_assert_cmpint (fb_kernel_pack_depthwise_weights (w8, (size_t) p.ch_in, 3, 3, v->w, wp), ==,
                   FB_KERNEL_OK);
  out_bytes = fb_kernel_packed_bytes ((size_t) n_out, v->o);
  expect = g_malloc (out_bytes);
  g_assert_cmpint (fb_kernel_pack_unsigned (yb, (size_t) n_out, v->o, expect), ==, FB_KERNEL_OK);
  n_scratch = fb_depthwise_get_buffer_size (v->a, v->o, v->w, &p);
  scratch_block = g_malloc (n_scratch + 64);
  scratch = scratch_block + (64 - GPOINTER_TO_SIZE (scratch_block) % 64) % 64 + skew;
  out_block = g_malloc (out_bytes + 8 + 64);
  out = out_block + (64 - GPOINTER_TO_SIZE (out_block) % 64) % 64 + skew;
  memset (out, 0xA5, out_bytes + 8);
  g_assert_cmpint (v->fn (xp, wp, kappa, lambda, out, &p, scratch, n_scratch), ==, FB_KERNEL_OK);
  g_assert_cmpmem (out, out_bytes, expect, out_bytes);
  for (i = 0; i < 8; i++)
    g_assert_cmpint (out[out_bytes + (size_t) i], ==, 0xA5);

  n_prep = fb_depthwise_host_prepared_size (v->a, v->o, v->w, &p);
  if (n_prep == 0)
    return;
  prep_block = g_malloc (n_prep + 64 + 1);
  prep = prep_block + (64 - GPOINTER_TO_SIZE (prep_block) % 64) % 64;
  g_assert_cmpint (fb_depthwise_host_prepare (v->a, v->o, v->w, &p, wp, kappa, lambda, prep + 1),
                   ==, FB_KERNEL_ERROR_LAYOUT);
  g_assert_cmpint (fb_depthwise_host_prepare (v->a, v->o, v->w, &p, wp, kappa, lambda, prep), ==,
                   FB_KERNEL_OK);
  memset (out, 0xA5, out_bytes + 8);
  p.flag_relu |= FB_KERNEL_FLAG_HOST_PREPARED;
  g_assert_cmpint (v->fn (xp, prep, kappa, lambda, out, &p, scratch, n_scratch), ==, FB_KERNEL_OK);
  g_assert_cmpmem (out, out_bytes, expect, out_bytes);
  for (i = 0; i < 8; i++)
    g_assert_cmpint (out[out_bytes + (size_t) i], ==, 0xA5);
  /* misaligned prepared data, or a signed call: refused before anything is read (prep + 1
   * stays inside the block), nothing written */
  memset (out, 0xA5, out_bytes);
  g_assert_cmpint (v->fn (xp, prep + 1, kappa, lambda, out, &p, scratch, n_scratch), ==,
                   FB_KERNEL_ERROR_LAYOUT);
  p.flag_relu |= FB_KERNEL_FLAG_SIGNED_OUT;
  g_assert_cmpint (v->fn (xp, prep, kappa, lambda, out, &p, scratch, n_scratch), ==,
                   FB_KERNEL_ERROR_LAYOUT);
  for (i = 0; i < (int32_t) out_bytes; i++)
    g_assert_cmpint (out[i], ==, 0xA5);
}

static void
test_dw_shapes (gconstpointer data)
{
  const Variant *v = data;
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (11 + v->a * 100 + v->o * 10 + v->w));
  int n;

  for (n = 0; n < 40; n++)
    run_dw_case (v, rng, (size_t) (n % 4), 0);
  /* prepared thresholds: any kappa, shifts 0-33, integer quotients */
  for (n = 0; n < 160; n++)
    run_dw_case (v, rng, (size_t) (n % 4), 1);
}

static void
test_prepared (gconstpointer data)
{
  const Variant *v = data;
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (v->a * 100 + v->o * 10 + v->w));
  int n;

  for (n = 0; n < 24; n++)
    {
      FbConvParams p = { 0 };
      square_shape (&p, v, rng, n % 3 == 0 ? 1 : 3, 1 + n % 2);
      if (!run_case (v, rng, p, 0))
        {
          g_test_skip ("no prepared host conv layout on this CPU/build (fb_kernel_host_code() is not avx512vnni)");
          return;
        }
    }
}

/* The row ring on any geometry, buffers misaligned by 0-3 bytes. */
static void
test_ring_shapes (gconstpointer data)
{
  const Variant *v = data;
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (7 + v->a * 100 + v->o * 10 + v->w));
  int n;

  for (n = 0; n < 40; n++)
    {
      FbConvParams p = { 0 };
      ring_shape (&p, v, rng);
      if (!run_case (v, rng, p, (size_t) (n % 4)))
        {
          g_test_skip ("no prepared host conv layout on this CPU/build (fb_kernel_host_code() is not avx512vnni)");
          return;
        }
    }
}

/* Where the layout does not exist, asking for it is an error and the flag is refused. */
static void
test_size_matches_code (void)
{
  FbConvParams p = { 4, 4, 8, 4, 4, 8, 1, 1, 0, 0, 0, 0, 1, 1, 10, 0 };
  size_t n = fb_conv_host_prepared_weights_size (8, 8, 8, &p);
  uint8_t w[64] = { 0 }, prep[256] = { 0 };
  if (strcmp (fb_kernel_host_code (), "avx512vnni") == 0)
    g_assert_cmpuint (n, ==, 16 * 8); /* 8 k × 16 padded channels */
  else
    {
      g_assert_cmpuint (n, ==, 0);
      g_assert_cmpint (fb_conv_host_prepare_weights (8, 8, 8, &p, w, prep), ==,
                       FB_KERNEL_ERROR_LAYOUT);
    }
  p.ch_in = 3; /* invalid for 4-bit inputs */
  g_assert_cmpuint (fb_conv_host_prepared_weights_size (4, 8, 8, &p), ==, 0);
}

int
main (int argc, char **argv)
{
  size_t i;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kernels/host-prepared/size", test_size_matches_code);
  for (i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *path = g_strdup_printf ("/kernels/host-prepared/conv_u%d_u%d_i%d",
                                               variants[i].a, variants[i].o, variants[i].w);
      g_autofree char *path2 = g_strdup_printf ("/kernels/host-prepared/ring/conv_u%d_u%d_i%d",
                                                variants[i].a, variants[i].o, variants[i].w);
      g_test_add_data_func (path, &variants[i], test_prepared);
      g_autofree char *path3 = g_strdup_printf ("/kernels/host-prepared/dw3x3/depthwise_u%d_u%d_i%d",
                                                dw_variants[i].a, dw_variants[i].o,
                                                dw_variants[i].w);
      g_test_add_data_func (path2, &variants[i], test_ring_shapes);
      g_test_add_data_func (path3, &dw_variants[i], test_dw_shapes);
    }
  return g_test_run ();
}
