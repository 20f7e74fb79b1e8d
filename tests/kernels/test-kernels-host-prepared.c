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

/* One random conv of variant v: packed operands, reference outputs, then the kernel with the
 * prepared weights (64-byte aligned copy) must write the reference bytes; returns FALSE when
 * this CPU/build has no prepared layout. */
static gboolean
run_case (const Variant *v, GRand *rng, int k, int stride)
{
  const int ga = 8 / v->a, go = 8 / v->o, gw = 8 / v->w;
  const int step = MAX (ga, MAX (go, gw));
  FbConvParams p = { 0 };
  int32_t n_in, n_out, n_w, i;
  g_autofree int32_t *x = NULL, *wt = NULL, *kappa = NULL, *lambda = NULL, *yref = NULL;
  g_autofree uint8_t *xb = NULL, *xp = NULL, *wp = NULL, *out = NULL, *scratch = NULL;
  g_autofree uint8_t *prep_block = NULL, *expect = NULL;
  g_autofree int8_t *w8 = NULL;
  uint8_t *prep;
  size_t n_prep, n_scratch, out_bytes;

  p.dim_in_x = g_rand_int_range (rng, k, 12);
  p.dim_in_y = g_rand_int_range (rng, k, 9);
  p.ch_in = step * g_rand_int_range (rng, 1, 80 / step + 1);
  p.ch_out = step * g_rand_int_range (rng, 1, 80 / step + 1);
  p.dim_kernel_x = p.dim_kernel_y = k;
  p.pad_top = p.pad_left = k / 2;
  p.pad_bottom = p.pad_right = g_rand_int_range (rng, 0, k / 2 + 1);
  p.stride_x = p.stride_y = stride;
  p.dim_out_x = (p.dim_in_x + p.pad_left + p.pad_right - k) / stride + 1;
  p.dim_out_y = (p.dim_in_y + p.pad_top + p.pad_bottom - k) / stride + 1;
  p.out_shift = g_rand_int_range (rng, 8, 20);
  p.flag_relu = FB_KERNEL_FLAG_RELU;

  n_prep = fb_conv_host_prepared_weights_size (v->a, v->o, v->w, &p);
  if (n_prep == 0)
    return FALSE;

  n_in = p.dim_in_x * p.dim_in_y * p.ch_in;
  n_out = p.dim_out_x * p.dim_out_y * p.ch_out;
  n_w = p.ch_out * k * k * p.ch_in;
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

  xp = g_malloc (fb_kernel_packed_bytes ((size_t) n_in, v->a));
  g_assert_cmpint (fb_kernel_pack_unsigned (xb, (size_t) n_in, v->a, xp), ==, FB_KERNEL_OK);
  wp = g_malloc (fb_kernel_conv_weights_bytes ((size_t) p.ch_out, (size_t) (k * k * p.ch_in), v->w));
  g_assert_cmpint (fb_kernel_pack_conv_weights (w8, (size_t) p.ch_out, (size_t) (k * k * p.ch_in),
                                                v->w, wp), ==, FB_KERNEL_OK);
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
  scratch = g_malloc (n_scratch);
  out = g_malloc (out_bytes + 8);
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

static void
test_prepared (gconstpointer data)
{
  const Variant *v = data;
  g_autoptr(GRand) rng = g_rand_new_with_seed ((guint32) (v->a * 100 + v->o * 10 + v->w));
  int n;

  for (n = 0; n < 24; n++)
    if (!run_case (v, rng, n % 3 == 0 ? 1 : 3, 1 + n % 2))
      {
        g_test_skip ("no prepared host conv layout on this CPU/build (fb_kernel_host_code() is not avx512vnni)");
        return;
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
      g_test_add_data_func (path, &variants[i], test_prepared);
    }
  return g_test_run ();
}
