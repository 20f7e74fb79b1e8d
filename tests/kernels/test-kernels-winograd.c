/* test-kernels-winograd.c — the Winograd conv path (fb-kernel-conv-winograd.c) on the host,
 * built with -DFB_KERNEL_FORCE_SCALAR (the MCU algorithm, C twin of its assembly): when it
 * is taken, its prepared-weight layout, and bit-exactness against the reference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib.h>
#include <string.h>

#include "fb-kernels.h"
#include "winograd-selftest.h"

static void
std_shape (FbConvParams *p)
{
  memset (p, 0, sizeof *p);
  p->dim_in_x = p->dim_in_y = 16;
  p->ch_in = p->ch_out = 32;
  p->dim_out_x = p->dim_out_y = 16;
  p->dim_kernel_x = p->dim_kernel_y = 3;
  p->pad_top = p->pad_bottom = p->pad_left = p->pad_right = 1;
  p->stride_x = p->stride_y = 1;
  p->out_shift = 20;
}

/* Which calls take the Winograd layout: its size is 32 bytes per input and output channel
 * (output channels rounded up to 8), against 9 (i8, 4-channel blocks) of the direct one. */
static void
test_applies (void)
{
  FbConvParams p;
  std_shape (&p);
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 32 * 32 * 32);
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 2, 8, &p), ==, 32 * 32 * 32);
  p.flag_relu = FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_OUT;
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 32 * 32 * 32);
  p.ch_out = 20;
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 32 * 24 * 32);
  /* not: sub-byte operands, stride 2, fewer than 16 input or output channels */
  std_shape (&p);
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 4, &p), !=, 32 * 32 * 32);
  g_assert_cmpuint (fb_conv_prepared_weights_size (4, 8, 8, &p), !=, 32 * 32 * 32);
  p.stride_x = p.stride_y = 2;
  p.dim_out_x = p.dim_out_y = 8;
  /* the direct layout, plus the fused path's 16 zero bytes */
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 9 * 32 * 32 + 16);
  std_shape (&p);
  p.ch_in = 8;
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 9 * 8 * 32 + 16);
  p.ch_in = 32;
  p.ch_out = 8;
  g_assert_cmpuint (fb_conv_prepared_weights_size (8, 8, 8, &p), ==, 9 * 32 * 8 + 16);
}

/* The MCU scratch of a Winograd call is a constant under 2 KiB (and only with prepared
 * weights: without them the direct path runs and lays the weights out in its scratch). */
static void
test_scratch (void)
{
  FbConvParams p;
  gsize wino;
  std_shape (&p);
  p.flag_relu = FB_KERNEL_FLAG_PREPARED_WEIGHTS;
  wino = fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, 8, 8, 8, &p);
  g_assert_cmpuint (wino, >, 0);
  g_assert_cmpuint (wino, <=, 2048);
  p.ch_in = p.ch_out = 512;
  g_assert_cmpuint (fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, 8, 8, 8, &p), ==,
                    wino);
  p.flag_relu = 0;
  g_assert_cmpuint (fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, 8, 8, 8, &p), >,
                    512 * 9 * 512);
}

/* U = G' g G'^T for kernels worked out by hand: G' has rows (2,0,0), (1,1,1), (1,-1,1),
 * (0,0,2).  The centre tap w gives U = w c c^T with c = G'[:,1] = (0, 1, -1, 0); the top-left
 * tap w gives w a a^T with a = (2, 1, 1, 0); a kernel of ones gives s s^T, s = (2, 3, 1, 2). */
static void
test_transform (void)
{
  static const int c[4] = { 0, 1, -1, 0 }, a[4] = { 2, 1, 1, 0 }, s[4] = { 2, 3, 1, 2 };
  FbConvParams p;
  guint8 packed[16 * 9 * 16];
  g_autofree guint8 *prep = NULL;
  gsize n;
  int tap, pos, co, ci;

  std_shape (&p);
  p.ch_in = 16;
  p.ch_out = 16;
  n = fb_conv_prepared_weights_size (8, 8, 8, &p);
  g_assert_cmpuint (n, ==, 16 * 16 * 16 * 2);
  prep = g_malloc (n);
  /* channel co, input channel ci: co 0 centre tap -3 (ci 0 only), co 1 top-left tap 5 (ci 2
   * only), co 10 all taps 1 (ci 7 only), everything else 0 (rows of 9 * 16 bytes) */
  memset (packed, 0, sizeof packed);
  packed[0 * 144 + 4 * 16 + 0] = (guint8) (gint8) -3;
  packed[1 * 144 + 0 * 16 + 2] = 5;
  for (tap = 0; tap < 9; tap++)
    packed[10 * 144 + tap * 16 + 7] = 1;
  g_assert_cmpint (fb_conv_prepare_weights (8, 8, 8, &p, packed, prep), ==, FB_KERNEL_OK);
  /* U[p][co / 8][ci][co % 8] */
  for (pos = 0; pos < 16; pos++)
    for (co = 0; co < 16; co++)
      for (ci = 0; ci < 16; ci++)
        {
          const gsize e = (((gsize) pos * 2 + (gsize) co / 8) * 16 + (gsize) ci) * 8
                          + (gsize) co % 8;
          const int i = pos / 4, j = pos % 4;
          const int got = (gint16) (guint16) (prep[2 * e] | prep[2 * e + 1] << 8);
          int want = 0;
          if (co == 0 && ci == 0)
            want = -3 * c[i] * c[j];
          else if (co == 1 && ci == 2)
            want = 5 * a[i] * a[j];
          else if (co == 10 && ci == 7)
            want = s[i] * s[j];
          g_assert_cmpint (got, ==, want);
        }
}

static void
collect (const char *line, void *user_data)
{
  g_ptr_array_add ((GPtrArray *) user_data, g_strdup (line));
}

/* Random cases and the extreme ones equal the reference, and most take the Winograd path. */
static void
test_random (void)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  int n = 0, nw = 0, bad;
  guint i;

  g_assert_cmpint (fb_kernel_arch (), ==, FB_KERNEL_ARCH_SCALAR);
  bad = winograd_selftest_run (collect, lines, &n, &nw);
  for (i = 0; i < lines->len; i++)
    if (strstr (g_ptr_array_index (lines, i), "ref=1") == NULL)
      g_test_message ("%s", (const char *) g_ptr_array_index (lines, i));
  g_assert_cmpint (bad, ==, 0);
  g_assert_cmpint (n, ==, (int) lines->len);
  g_assert_cmpint (n, >=, 150);
  g_assert_cmpint (nw, ==, n);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kernels/winograd/applies", test_applies);
  g_test_add_func ("/kernels/winograd/scratch", test_scratch);
  g_test_add_func ("/kernels/winograd/transform", test_transform);
  g_test_add_func ("/kernels/winograd/random", test_random);
  return g_test_run ();
}
