/* test-kernels.c — bit-exactness of every kernel variant against the reference, packing,
 * hand-computed cases and argument validation.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built four times: against the kernels as compiled for this machine (host path, AVX-512 VNNI
 * or AVX2 copies as the CPU allows), against a copy compiled with -DFB_KERNEL_NO_VNNI (AVX2
 * copies at most), against a copy compiled with -DFB_KERNEL_NO_AVX2 (host path without its
 * run-time copies) and against a copy compiled with -DFB_KERNEL_FORCE_SCALAR (the RV32
 * algorithm, C twins of the assembly), so the test paths start with /kernels/host/ or
 * /kernels/scalar/.  FB_TEST_KERNELS_MAX_ISA names the best copy the build contains; the
 * code-path test checks that the best one the CPU allows is the one that runs.
 *
 * Random cases use fixed seeds.  Inputs are packed and outputs unpacked with this file's own
 * bit-by-bit helpers, independent of fb-kernel-pack.c.  Every call runs with guard bytes after
 * the output and the scratch buffer, and with inputs sometimes at unaligned addresses.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "fb-kernel-bench.h"
#include "fb-kernel-internal.h"
#include "fb-kernel-pack.h"
#include "fb-kernel-ref.h"
#include "fb-kernels.h"

#define N_RANDOM 200
#define GUARD 32
#define GUARD_BYTE 0xA5

static const char *arch_name;

#ifndef FB_TEST_KERNELS_MAX_ISA
#define FB_TEST_KERNELS_MAX_ISA "avx512vnni"
#endif

/* ------------------------------------------------------------------------------------------ */
/* Independent packing helpers                                                                */

static gsize
packed_len (gsize n, int bits)
{
  return (n * (gsize) bits + 7) / 8;
}

/* Pack n values (unsigned, or signed two's complement) LSB-first, bit by bit. */
static void
pack_bits (const gint32 *v, gsize n, int bits, guint8 *out)
{
  gsize i;
  int b;
  memset (out, 0, packed_len (n, bits));
  for (i = 0; i < n; i++)
    for (b = 0; b < bits; b++)
      if (((guint32) v[i] >> b) & 1u)
        out[(i * (gsize) bits + (gsize) b) / 8] |= (guint8) (1u << ((i * (gsize) bits + (gsize) b) % 8));
}

static gint32
unpack_u (const guint8 *p, gsize i, int bits)
{
  gint32 v = 0;
  int b;
  for (b = 0; b < bits; b++)
    {
      gsize bit = i * (gsize) bits + (gsize) b;
      v |= (gint32) ((p[bit / 8] >> (bit % 8)) & 1u) << b;
    }
  return v;
}

/* A buffer with GUARD pattern bytes after `size` usable bytes, starting `offset` bytes into
 * its allocation (to test unaligned pointers). */
typedef struct {
  guint8 *alloc;
  guint8 *data;
  gsize size;
} Guarded;

static void
guarded_init (Guarded *g, gsize size, gsize offset)
{
  g->alloc = g_malloc (size + offset + GUARD + 16);
  /* 16-byte aligned base, then the offset */
  g->data = (guint8 *) (((guintptr) g->alloc + 15) & ~(guintptr) 15) + offset;
  g->size = size;
  memset (g->data, GUARD_BYTE, size + GUARD);
}

static gboolean
guarded_intact (const Guarded *g, gsize from)
{
  gsize i;
  for (i = from; i < g->size + GUARD; i++)
    if (g->data[i] != GUARD_BYTE)
      return FALSE;
  return TRUE;
}

static void
guarded_clear (Guarded *g)
{
  g_free (g->alloc);
  g->alloc = g->data = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Random case generation                                                                     */

typedef struct {
  int a, o, w;   /* add: a = in1, w = in2, o = out */
} Bits;

static gint32
rnd (GRand *r, gint32 lo, gint32 hi)
{
  return (gint32) g_rand_int_range (r, lo, hi + 1);
}

static gint32
rnd_mult (GRand *r, gint32 lo, gint32 hi, gint32 m)
{
  gint32 k_lo = (lo + m - 1) / m, k_hi = hi / m;
  if (k_hi < k_lo)
    k_hi = k_lo;
  return m * rnd (r, k_lo, k_hi);
}

static gint32
lcm3 (int a, int b, int c)
{
  /* powers of two: the lcm is the max */
  int m = 8 / a;
  if (8 / b > m)
    m = 8 / b;
  if (8 / c > m)
    m = 8 / c;
  return m;
}

enum { VAL_RANDOM, VAL_MAX_MIN, VAL_MAX_MAX, VAL_SPARSE, VAL_N };

static void
fill_values (GRand *r, gint32 *v, gsize n, gint32 lo, gint32 hi, int mode, gboolean is_weight)
{
  gsize i;
  for (i = 0; i < n; i++)
    switch (mode)
      {
      case VAL_MAX_MIN: v[i] = is_weight ? lo : hi; break;
      case VAL_MAX_MAX: v[i] = hi; break;
      case VAL_SPARSE: v[i] = g_rand_int_range (r, 0, 4) == 0 ? rnd (r, lo, hi) : 0; break;
      default: v[i] = rnd (r, lo, hi); break;
      }
}

static const gint32 extreme_i32[] = { G_MININT32, G_MAXINT32, -1, 0, 1, G_MININT32 + 1,
                                      1 << 30, -(1 << 30) };
static const gint32 extreme_shift[] = { 0, 1, 31, 32, 33, 47, 62, 63 };

/* kappa/lambda/shift for n channels, given the magnitude of the accumulators. */
static void
fill_requant (GRand *r, gint32 *kappa, gint32 *lambda, gint32 n, int out_bits, double acc_mag,
              gint32 *shift)
{
  int mode = g_rand_int_range (r, 0, 10);
  gint32 c;
  if (mode < 6)
    {
      /* realistic: outputs spread over the range, d above or below 32 */
      int d = mode < 4 ? rnd (r, 32, 48) : rnd (r, 8, 31);
      double target = (double) (1 << out_bits);
      for (c = 0; c < n; c++)
        {
          double k = ldexp (1.0, d) * target / (acc_mag > 1 ? acc_mag : 1)
                     * (0.25 + g_rand_double (r) * 2.0);
          double l = ldexp (1.0, d) * target * (g_rand_double (r) - 0.3);
          if (g_rand_int_range (r, 0, 8) == 0)
            k = -k;
          kappa[c] = (gint32) CLAMP (k, -2.0e9, 2.0e9);
          lambda[c] = (gint32) CLAMP (l, -2.0e9, 2.0e9);
        }
      *shift = d;
    }
  else if (mode < 8)
    {
      /* extremes */
      for (c = 0; c < n; c++)
        {
          kappa[c] = extreme_i32[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_i32))];
          lambda[c] = extreme_i32[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_i32))];
        }
      *shift = extreme_shift[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_shift))];
    }
  else
    {
      /* anything */
      for (c = 0; c < n; c++)
        {
          kappa[c] = (gint32) g_rand_int (r);
          lambda[c] = (gint32) g_rand_int (r);
        }
      *shift = rnd (r, 0, 63);
    }
}

/* A random conv/depthwise geometry; big: a long reduction (crosses SWAR chunk flushes). */
static void
random_geometry (GRand *r, const Bits *b, gboolean dw, gboolean big, FbConvParams *p)
{
  static const int kernels[] = { 1, 1, 3, 3, 3, 2, 5 };
  memset (p, 0, sizeof *p);
  if (g_rand_int_range (r, 0, 6) == 0)
    {
      /* rectangular */
      p->dim_kernel_x = kernels[g_rand_int_range (r, 0, G_N_ELEMENTS (kernels))];
      p->dim_kernel_y = kernels[g_rand_int_range (r, 0, G_N_ELEMENTS (kernels))];
    }
  else
    p->dim_kernel_x = p->dim_kernel_y = kernels[g_rand_int_range (r, 0, 5)];
  p->stride_x = g_rand_int_range (r, 0, 3) == 0 ? 2 : 1;
  p->stride_y = g_rand_int_range (r, 0, 3) == 0 ? 2 : (g_rand_int_range (r, 0, 8) == 0 ? 3 : 1);
  p->pad_top = rnd (r, 0, 2);
  p->pad_bottom = rnd (r, 0, 2);
  p->pad_left = rnd (r, 0, 2);
  p->pad_right = rnd (r, 0, 2);
  if (g_rand_int_range (r, 0, 20) == 0)
    p->pad_top = p->dim_kernel_y + 1;   /* whole windows in the padding */
  if (dw)
    {
      gint32 m = lcm3 (b->a, b->o, b->w);
      p->ch_in = p->ch_out = big ? rnd_mult (r, 40, 96, m) : rnd_mult (r, 1, 20, m);
    }
  else
    {
      p->ch_in = big ? rnd_mult (r, 120, 330, 8 / b->a) : rnd_mult (r, 1, 24, 8 / b->a);
      p->ch_out = big ? rnd_mult (r, 1, 9, 8 / b->o) : rnd_mult (r, 1, 19, 8 / b->o);
    }
  p->dim_in_x = big ? rnd (r, 1, 5) : rnd (r, 1, 9);
  p->dim_in_y = big ? rnd (r, 1, 4) : rnd (r, 1, 9);
  if (p->dim_in_x + p->pad_left + p->pad_right < p->dim_kernel_x)
    p->pad_right += p->dim_kernel_x - (p->dim_in_x + p->pad_left + p->pad_right);
  if (p->dim_in_y + p->pad_top + p->pad_bottom < p->dim_kernel_y)
    p->pad_bottom += p->dim_kernel_y - (p->dim_in_y + p->pad_top + p->pad_bottom);
  p->dim_out_x = (p->dim_in_x + p->pad_left + p->pad_right - p->dim_kernel_x) / p->stride_x + 1;
  p->dim_out_y = (p->dim_in_y + p->pad_top + p->pad_bottom - p->dim_kernel_y) / p->stride_y + 1;
  p->flag_relu = g_rand_boolean (r);
}

static guint32
seed_for (const char *family, const Bits *b)
{
  return g_str_hash (family) ^ (guint32) (b->a * 10000 + b->o * 100 + b->w) ^ 0x5EEDF4EEu;
}

static char *
describe_conv (const FbConvParams *p)
{
  return g_strdup_printf ("in %dx%dx%d out %dx%dx%d k %dx%d pad t%d b%d l%d r%d stride %d,%d shift %d",
                          p->dim_in_x, p->dim_in_y, p->ch_in, p->dim_out_x, p->dim_out_y,
                          p->ch_out, p->dim_kernel_x, p->dim_kernel_y, p->pad_top, p->pad_bottom,
                          p->pad_left, p->pad_right, p->stride_x, p->stride_y, p->out_shift);
}

/* ------------------------------------------------------------------------------------------ */
/* Conv and depthwise: random cases                                                           */

/* The same conv with its weights laid out once (FB_KERNEL_FLAG_PREPARED_WEIGHTS), as an
 * exporter does: on a scalar build the same output bytes (@expected) from a smaller scratch
 * without weights; elsewhere FB_KERNEL_ERROR_LAYOUT and nothing written. */
static void
check_prepared_weights (const Bits *b, FbConvFunc fn, const FbConvParams *p0, const guint8 *wp,
                        const guint8 *input, const gint32 *kappa, const gint32 *lambda,
                        const guint8 *expected, gsize out_bytes, int case_index)
{
  FbConvParams p = *p0;
  gsize n_prep = fb_conv_prepared_weights_size (b->a, b->o, b->w, &p);
  gsize full = fb_conv_get_buffer_size (b->a, b->o, b->w, &p), small;
  g_autofree guint32 *prep = g_new0 (guint32, n_prep / 4 + 1);
  g_autofree guint8 *out = g_malloc (out_bytes + 1);
  g_autofree guint8 *buf = NULL;
  FbKernelStatus st;

  g_assert_cmpuint (n_prep, >, 0);
  g_assert_cmpint (fb_conv_prepare_weights (b->a, b->o, b->w, &p, wp, (guint8 *) prep), ==, FB_KERNEL_OK);
  g_assert_cmpint (fb_conv_prepare_weights (b->a, b->o, b->w, &p, wp, (guint8 *) prep + 1), ==,
                   FB_KERNEL_ERROR_LAYOUT);
  p.flag_relu |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
  small = fb_conv_get_buffer_size (b->a, b->o, b->w, &p);
  buf = g_malloc (small + 1);
  memset (out, 0xA5, out_bytes + 1);
  st = fn (input, (const guint8 *) prep, kappa, lambda, out, &p, buf, small);
  if (fb_kernel_arch () != FB_KERNEL_ARCH_SCALAR)
    {
      g_assert_cmpint (st, ==, FB_KERNEL_ERROR_LAYOUT);
      for (gsize i = 0; i < out_bytes; i++)
        g_assert_cmpuint (out[i], ==, 0xA5);
      return;
    }
  /* The direct layout moves the per-call weight copy out of the scratch; the Winograd layout
   * (3×3 stride 1, 8-bit) holds transformed weights and needs only its fixed tile scratch. */
  if (fb_ki_conv_winograd_applies (b->a, b->w, &p))
    {
      g_assert_cmpuint (n_prep, ==, fb_ki_conv_winograd_weights_size (&p));
      g_assert_cmpuint (small, ==, fb_ki_conv_winograd_buffer_size (&p));
    }
  else
    g_assert_cmpuint (small + n_prep, ==, full);
  if (st != FB_KERNEL_OK || memcmp (out, expected, out_bytes) != 0)
    {
      g_autofree char *d = describe_conv (&p);
      g_test_message ("case %d, prepared weights: %s", case_index, d);
    }
  g_assert_cmpint (st, ==, FB_KERNEL_OK);
  g_assert_cmpmem (out, out_bytes, expected, out_bytes);
  g_assert_cmpuint (out[out_bytes], ==, 0xA5);
  /* misaligned prepared weights are refused */
  g_assert_cmpint (fn (input, (const guint8 *) prep + 2, kappa, lambda, out, &p, buf, small), ==,
                   FB_KERNEL_ERROR_LAYOUT);
}

static void
run_conv_case (GRand *r, const Bits *b, gboolean dw, gboolean big, int case_index)
{
  FbConvParams p;
  gsize n_in, n_out, n_w, k_len, w_bytes, out_bytes, in_bytes, buf_size, i;
  g_autofree gint32 *x = NULL, *w = NULL, *kappa = NULL, *lambda = NULL, *y = NULL;
  g_autofree guint8 *wp = NULL;
  Guarded in, out, buf;
  FbConvFunc fn = dw ? fb_depthwise_lookup (b->a, b->o, b->w) : fb_conv_lookup (b->a, b->o, b->w);
  FbKernelStatus st;
  int vmode = g_rand_int_range (r, 0, VAL_N);

  random_geometry (r, b, dw, big, &p);
  n_in = (gsize) p.dim_in_x * p.dim_in_y * p.ch_in;
  n_out = (gsize) p.dim_out_x * p.dim_out_y * p.ch_out;
  k_len = (gsize) p.dim_kernel_x * p.dim_kernel_y * (dw ? 1 : p.ch_in);
  n_w = k_len * p.ch_out;

  x = g_new (gint32, n_in);
  w = g_new (gint32, n_w);
  y = g_new (gint32, n_out);
  kappa = g_new (gint32, p.ch_out);
  lambda = g_new (gint32, p.ch_out);
  fill_values (r, x, n_in, 0, (1 << b->a) - 1, vmode, FALSE);
  fill_values (r, w, n_w, -(1 << (b->w - 1)), (1 << (b->w - 1)) - 1, vmode, TRUE);
  fill_requant (r, kappa, lambda, p.ch_out, b->o,
                (double) k_len * ((1 << b->a) - 1) * (1 << (b->w - 1)) / 4.0, &p.out_shift);

  /* input at a random misalignment */
  in_bytes = packed_len (n_in, b->a);
  guarded_init (&in, in_bytes, (gsize) g_rand_int_range (r, 0, 4));
  pack_bits (x, n_in, b->a, in.data);

  /* weights */
  if (dw)
    {
      /* [C][Ky][Kx] -> [Ky][Kx][C] */
      gint32 *t = g_new (gint32, n_w);
      gsize taps = k_len, c, tap;
      for (c = 0; c < (gsize) p.ch_out; c++)
        for (tap = 0; tap < taps; tap++)
          t[tap * p.ch_out + c] = w[c * taps + tap];
      w_bytes = packed_len (n_w, b->w);
      wp = g_malloc (w_bytes + 1);
      pack_bits (t, n_w, b->w, wp);
      g_free (t);
    }
  else
    {
      gsize rb = packed_len (k_len, b->w), c;
      w_bytes = rb * p.ch_out;
      wp = g_malloc (w_bytes + 1);
      for (c = 0; c < (gsize) p.ch_out; c++)
        pack_bits (w + c * k_len, k_len, b->w, wp + c * rb);
    }

  out_bytes = packed_len (n_out, b->o);
  guarded_init (&out, out_bytes, 0);
  buf_size = dw ? fb_depthwise_get_buffer_size (b->a, b->o, b->w, &p)
                : fb_conv_get_buffer_size (b->a, b->o, b->w, &p);
  g_assert_cmpuint (buf_size, >, 0);
  guarded_init (&buf, buf_size, (gsize) g_rand_int_range (r, 0, 4));

  st = fn (in.data, wp, kappa, lambda, out.data, &p, buf.data, buf_size);
  if (st != FB_KERNEL_OK)
    {
      char *d = describe_conv (&p);
      g_test_message ("case %d: %s", case_index, d);
      g_free (d);
    }
  g_assert_cmpint (st, ==, FB_KERNEL_OK);
  g_assert_true (guarded_intact (&out, out_bytes));
  g_assert_true (guarded_intact (&buf, buf_size));
  if (dw)
    fb_ref_depthwise (x, w, kappa, lambda, y, &p, b->o, 0);
  else
    fb_ref_conv (x, w, kappa, lambda, y, &p, b->o, 0);
  for (i = 0; i < n_out; i++)
    {
      gint32 got = unpack_u (out.data, i, b->o);
      if (got != y[i])
        {
          char *d = describe_conv (&p);
          g_test_message ("case %d (values mode %d): %s: output %" G_GSIZE_FORMAT
                          " (pixel %" G_GSIZE_FORMAT ", channel %" G_GSIZE_FORMAT
                          ") is %d, reference %d (kappa %d lambda %d)",
                          case_index, vmode, d, i, i / p.ch_out, i % p.ch_out, got, y[i],
                          kappa[i % p.ch_out], lambda[i % p.ch_out]);
          g_free (d);
        }
      g_assert_cmpint (got, ==, y[i]);
    }
  /* inputs untouched */
  {
    guint8 *again = g_malloc (in_bytes + 1);
    pack_bits (x, n_in, b->a, again);
    g_assert_cmpmem (again, in_bytes, in.data, in_bytes);
    g_free (again);
  }
  if (!dw)
    check_prepared_weights (b, fn, &p, wp, in.data, kappa, lambda, out.data, out_bytes, case_index);

  guarded_clear (&in);
  guarded_clear (&out);
  guarded_clear (&buf);
}

/* u4 x i4 / i2 by three k steps per mulhu (the scalar conv's T3 words, 12-bit lanes, 6 words
 * per flush): every input and weight at the extreme that makes the lanes' sums largest (x =
 * 15, w' = w + 2^(W-1) = 2^W - 1, so each word's dot is 3 * 15 * 15 = 675 at 4 bits and the
 * flushed lane 4050 < 4096) and at the other extremes, on geometries that end a kernel row
 * with 0, 1 and 2 words after the last triplet, with padding and a signed input. */
static void
test_conv_t3_worst (void)
{
  static const int geo[][4] = {   /* kx, ky, cin, pad */
    { 3, 3, 32, 1 }, { 1, 1, 8, 0 }, { 1, 1, 16, 0 }, { 3, 3, 8, 1 }, { 1, 1, 40, 0 },
    { 3, 1, 16, 1 }, { 2, 2, 24, 1 }, { 1, 1, 248, 0 },
  };
  gsize gi;
  int w_bits, mode, si;
  for (gi = 0; gi < G_N_ELEMENTS (geo); gi++)
    for (w_bits = 2; w_bits <= 4; w_bits += 2)
      for (mode = 0; mode < 3; mode++)
        for (si = 0; si < 2; si++)
          {
            const Bits b = { 4, 8, w_bits };
            FbConvParams p;
            gsize n_in, n_out, k_len, rb, i, c, buf_size;
            gint32 *x, *w, *y, kappa[8], lambda[8];
            guint8 *in, *wp, *out, *buf;
            FbConvFunc fn = fb_conv_lookup (4, 8, w_bits);
            memset (&p, 0, sizeof p);
            p.dim_kernel_x = geo[gi][0];
            p.dim_kernel_y = geo[gi][1];
            p.ch_in = geo[gi][2];
            p.pad_left = p.pad_right = p.pad_top = p.pad_bottom = geo[gi][3];
            p.ch_out = 8;
            p.dim_in_x = 6;
            p.dim_in_y = 3;
            p.stride_x = p.stride_y = 1;
            p.dim_out_x = p.dim_in_x + 2 * geo[gi][3] - p.dim_kernel_x + 1;
            p.dim_out_y = p.dim_in_y + 2 * geo[gi][3] - p.dim_kernel_y + 1;
            p.flag_relu = si ? FB_KERNEL_FLAG_SIGNED_IN : 0;
            n_in = (gsize) p.dim_in_x * p.dim_in_y * p.ch_in;
            n_out = (gsize) p.dim_out_x * p.dim_out_y * p.ch_out;
            k_len = (gsize) p.dim_kernel_x * p.dim_kernel_y * p.ch_in;
            x = g_new (gint32, n_in);
            w = g_new (gint32, k_len * p.ch_out);
            y = g_new (gint32, n_out);
            /* mode 0: all at the top (the largest lane sums), 1: x top, w bottom, 2: x bottom */
            for (i = 0; i < n_in; i++)
              x[i] = si ? (mode == 2 ? -8 : 7) : (mode == 2 ? 0 : 15);
            for (i = 0; i < k_len * p.ch_out; i++)
              w[i] = mode == 1 ? -(1 << (w_bits - 1)) : (1 << (w_bits - 1)) - 1;
            for (c = 0; c < 8; c++)
              {
                kappa[c] = 1;
                lambda[c] = (gint32) c;
              }
            p.out_shift = 4;
            in = g_malloc0 (packed_len (n_in, 4) + 1);
            {
              /* signed values as their 4-bit two's complement patterns */
              gint32 *xb = g_new (gint32, n_in);
              for (i = 0; i < n_in; i++)
                xb[i] = x[i] & 15;
              pack_bits (xb, n_in, 4, in);
              g_free (xb);
            }
            rb = packed_len (k_len, w_bits);
            wp = g_malloc0 (rb * p.ch_out + 1);
            for (c = 0; c < (gsize) p.ch_out; c++)
              pack_bits (w + c * k_len, k_len, w_bits, wp + c * rb);
            out = g_malloc0 (packed_len (n_out, 8) + 1);
            buf_size = fb_conv_get_buffer_size (4, 8, w_bits, &p);
            buf = g_malloc0 (buf_size);
            g_assert_cmpint (fn (in, wp, kappa, lambda, out, &p, buf, buf_size), ==,
                             FB_KERNEL_OK);
            fb_ref_conv (x, w, kappa, lambda, y, &p, 8, 0);
            for (i = 0; i < n_out; i++)
              g_assert_cmpint (unpack_u (out, i, 8), ==, y[i]);
            check_prepared_weights (&b, fn, &p, wp, in, kappa, lambda, out, n_out, (int) gi);
            g_free (x);
            g_free (w);
            g_free (y);
            g_free (in);
            g_free (wp);
            g_free (out);
            g_free (buf);
          }
}

static void
test_conv_random (gconstpointer data)
{
  const Bits *b = data;
  GRand *r = g_rand_new_with_seed (seed_for ("conv", b));
  int i;
  for (i = 0; i < N_RANDOM; i++)
    run_conv_case (r, b, FALSE, i % 10 == 9, i);
  g_rand_free (r);
}

static void
test_depthwise_random (gconstpointer data)
{
  const Bits *b = data;
  GRand *r = g_rand_new_with_seed (seed_for ("depthwise", b));
  int i;
  for (i = 0; i < N_RANDOM; i++)
    run_conv_case (r, b, TRUE, i % 10 == 9, i);
  g_rand_free (r);
}

/* ------------------------------------------------------------------------------------------ */
/* Linear                                                                                     */

/* The same call with the weights laid out once (fb_linear_prepare_weights(),
 * FB_KERNEL_FLAG_PREPARED_WEIGHTS) must give the reference y too; misaligned: refused. */
static void
run_linear_prepared (const Bits *b, gboolean i32, const guint8 *in, const guint8 *wp,
                     const gint32 *kappa, const gint32 *lambda, const gint32 *bias,
                     const gint32 *y, gint32 dim_vec, gint32 num_o, gint32 shift, gint32 relu,
                     Guarded *buf, gsize buf_size)
{
  const int o = i32 ? 32 : b->o;
  gsize np = fb_linear_prepared_weights_size (b->a, o, b->w, dim_vec, num_o), i;
  g_autofree guint8 *prep = g_malloc (np + 4);   /* g_malloc: aligned for the words */
  g_autofree guint8 *out = g_malloc0 (i32 ? (gsize) num_o * 4 : packed_len (num_o, b->o));
  gint32 *o32 = (gint32 *) (void *) out;
  const gint32 flags = relu | FB_KERNEL_FLAG_PREPARED_WEIGHTS;
  FbKernelStatus st;

  g_assert_cmpuint (np, >, 0);
  g_assert_cmpint (fb_linear_prepare_weights (b->a, o, b->w, dim_vec, num_o, wp, prep), ==,
                   FB_KERNEL_OK);
  if (i32)
    st = fb_linear_i32_lookup (b->a, b->w) (in, prep, bias, o32, dim_vec, num_o, flags,
                                            buf->data, buf_size);
  else
    st = fb_linear_lookup (b->a, b->o, b->w) (in, prep, kappa, lambda, out, dim_vec, num_o,
                                              shift, flags, buf->data, buf_size);
  g_assert_cmpint (st, ==, FB_KERNEL_OK);
  for (i = 0; i < (gsize) num_o; i++)
    g_assert_cmpint (i32 ? o32[i] : unpack_u (out, i, b->o), ==, y[i]);
  memmove (prep + 1, prep, np);
  if (i32)
    st = fb_linear_i32_lookup (b->a, b->w) (in, prep + 1, bias, o32, dim_vec, num_o, flags,
                                            buf->data, buf_size);
  else
    st = fb_linear_lookup (b->a, b->o, b->w) (in, prep + 1, kappa, lambda, out, dim_vec, num_o,
                                              shift, flags, buf->data, buf_size);
  g_assert_cmpint (st, ==, FB_KERNEL_ERROR_LAYOUT);
}

static void
run_linear_case (GRand *r, const Bits *b, gboolean i32, int case_index)
{
  gint32 dim_vec, num_o, shift = 0, relu = g_rand_boolean (r);
  gsize n_w, rb, out_bytes, buf_size, i;
  g_autofree gint32 *x = NULL, *w = NULL, *kappa = NULL, *lambda = NULL, *bias = NULL, *y = NULL;
  g_autofree guint8 *wp = NULL;
  Guarded in, out, buf;
  FbKernelStatus st;
  int vmode = g_rand_int_range (r, 0, VAL_N);
  gboolean big = case_index % 10 == 9;

  dim_vec = rnd_mult (r, 1, big ? 3000 : 300, 8 / b->a);
  num_o = i32 ? rnd (r, 1, 40) : rnd_mult (r, 1, 40, 8 / b->o);
  n_w = (gsize) dim_vec * num_o;
  x = g_new (gint32, dim_vec);
  w = g_new (gint32, n_w);
  y = g_new (gint32, num_o);
  fill_values (r, x, dim_vec, 0, (1 << b->a) - 1, vmode, FALSE);
  fill_values (r, w, n_w, -(1 << (b->w - 1)), (1 << (b->w - 1)) - 1, vmode, TRUE);
  if (i32)
    {
      if (g_rand_int_range (r, 0, 5) != 0)
        {
          bias = g_new (gint32, num_o);
          for (i = 0; i < (gsize) num_o; i++)
            bias[i] = g_rand_int_range (r, 0, 4) == 0
                        ? extreme_i32[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_i32))]
                        : rnd (r, -100000, 100000);
        }
    }
  else
    {
      kappa = g_new (gint32, num_o);
      lambda = g_new (gint32, num_o);
      fill_requant (r, kappa, lambda, num_o, b->o,
                    (double) dim_vec * ((1 << b->a) - 1) * (1 << (b->w - 1)) / 4.0, &shift);
    }

  guarded_init (&in, packed_len (dim_vec, b->a), (gsize) g_rand_int_range (r, 0, 4));
  pack_bits (x, dim_vec, b->a, in.data);
  rb = packed_len (dim_vec, b->w);
  wp = g_malloc (rb * num_o + 1);
  for (i = 0; i < (gsize) num_o; i++)
    pack_bits (w + i * dim_vec, dim_vec, b->w, wp + i * rb);
  out_bytes = i32 ? (gsize) num_o * 4 : packed_len (num_o, b->o);
  guarded_init (&out, out_bytes, 0);
  buf_size = fb_linear_get_buffer_size (b->a, i32 ? 32 : b->o, b->w, dim_vec, num_o);
  g_assert_cmpuint (buf_size, >, 0);
  guarded_init (&buf, buf_size, (gsize) g_rand_int_range (r, 0, 4));

  if (i32)
    {
      gint32 *o32 = g_new (gint32, num_o + 1);
      o32[num_o] = 0x5A5A5A5A;
      st = fb_linear_i32_lookup (b->a, b->w) (in.data, wp, bias, o32, dim_vec, num_o, relu,
                                              buf.data, buf_size);
      g_assert_cmpint (st, ==, FB_KERNEL_OK);
      g_assert_cmpint (o32[num_o], ==, 0x5A5A5A5A);
      fb_ref_linear_i32 (x, w, bias, y, dim_vec, num_o, relu);
      for (i = 0; i < (gsize) num_o; i++)
        {
          if (o32[i] != y[i])
            g_test_message ("case %d: dim_vec %d num_o %d: output %" G_GSIZE_FORMAT
                            " is %d, reference %d",
                            case_index, dim_vec, num_o, i, o32[i], y[i]);
          g_assert_cmpint (o32[i], ==, y[i]);
        }
      g_free (o32);
    }
  else
    {
      st = fb_linear_lookup (b->a, b->o, b->w) (in.data, wp, kappa, lambda, out.data, dim_vec,
                                                num_o, shift, relu, buf.data, buf_size);
      g_assert_cmpint (st, ==, FB_KERNEL_OK);
      g_assert_true (guarded_intact (&out, out_bytes));
      fb_ref_linear (x, w, kappa, lambda, y, dim_vec, num_o, shift, b->o, 0);
      for (i = 0; i < (gsize) num_o; i++)
        {
          gint32 got = unpack_u (out.data, i, b->o);
          if (got != y[i])
            g_test_message ("case %d: dim_vec %d num_o %d shift %d: output %" G_GSIZE_FORMAT
                            " is %d, reference %d", case_index, dim_vec, num_o, shift, i, got,
                            y[i]);
          g_assert_cmpint (got, ==, y[i]);
        }
    }
  run_linear_prepared (b, i32, in.data, wp, kappa, lambda, bias, y, dim_vec, num_o, shift, relu,
                       &buf, buf_size);
  g_assert_true (guarded_intact (&buf, buf_size));

  guarded_clear (&in);
  guarded_clear (&out);
  guarded_clear (&buf);
}

static void
test_linear_random (gconstpointer data)
{
  const Bits *b = data;
  GRand *r = g_rand_new_with_seed (seed_for ("linear", b));
  int i;
  for (i = 0; i < N_RANDOM; i++)
    run_linear_case (r, b, FALSE, i);
  g_rand_free (r);
}

static void
test_linear_i32_random (gconstpointer data)
{
  const Bits *b = data;
  GRand *r = g_rand_new_with_seed (seed_for ("linear_i32", b));
  int i;
  for (i = 0; i < N_RANDOM; i++)
    run_linear_case (r, b, TRUE, i);
  g_rand_free (r);
}

/* ------------------------------------------------------------------------------------------ */
/* Add and average pool                                                                       */

static void
test_add_random (gconstpointer data)
{
  const Bits *b = data;   /* a = in1, w = in2, o = out */
  GRand *r = g_rand_new_with_seed (seed_for ("add", b));
  int c;
  for (c = 0; c < N_RANDOM; c++)
    {
      /* every fourth case large enough (>= 4096 elements) for the sub-byte table path */
      const int big = c % 4 == 3;
      gint32 dx = big ? rnd (r, 16, 20) : rnd (r, 1, 7), dy = big ? rnd (r, 16, 20) : rnd (r, 1, 7);
      gint32 ch = rnd_mult (r, big ? 16 : 1, 24, lcm3 (b->a, b->w, b->o));
      gint32 m1, m2, d;
      gsize n = (gsize) dx * dy * ch, i, out_bytes = packed_len (n, b->o);
      gint32 *x1 = g_new (gint32, n), *x2 = g_new (gint32, n), *y = g_new (gint32, n);
      int vmode = g_rand_int_range (r, 0, VAL_N), mmode = g_rand_int_range (r, 0, 4);
      Guarded in1, in2, out;
      FbKernelStatus st;

      fill_values (r, x1, n, 0, (1 << b->a) - 1, vmode, FALSE);
      fill_values (r, x2, n, 0, (1 << b->w) - 1, vmode == VAL_MAX_MIN ? VAL_MAX_MAX : vmode, FALSE);
      if (mmode == 0)
        {
          m1 = extreme_i32[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_i32))];
          m2 = extreme_i32[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_i32))];
          d = extreme_shift[g_rand_int_range (r, 0, G_N_ELEMENTS (extreme_shift))];
        }
      else if (mmode == 1)
        {
          m1 = (gint32) g_rand_int (r);
          m2 = (gint32) g_rand_int (r);
          d = rnd (r, 0, 63);
        }
      else
        {
          /* realistic: y ~ s1 x1 + s2 x2 with scales around 1 */
          d = rnd (r, 8, 40);
          m1 = (gint32) CLAMP (ldexp (g_rand_double_range (r, 0.05, 2.0), d)
                                 * ((1 << b->o) - 1) / ((1 << b->a) - 1), 0, 2.0e9);
          m2 = (gint32) CLAMP (ldexp (g_rand_double_range (r, 0.05, 2.0), d)
                                 * ((1 << b->o) - 1) / ((1 << b->w) - 1), 0, 2.0e9);
        }
      guarded_init (&in1, packed_len (n, b->a), (gsize) g_rand_int_range (r, 0, 4));
      guarded_init (&in2, packed_len (n, b->w), (gsize) g_rand_int_range (r, 0, 4));
      guarded_init (&out, out_bytes, 0);
      pack_bits (x1, n, b->a, in1.data);
      pack_bits (x2, n, b->w, in2.data);
      st = fb_add_lookup (b->a, b->w, b->o) (in1.data, in2.data, out.data, dx, dy, ch, m1, m2, d, 0);
      g_assert_cmpint (st, ==, FB_KERNEL_OK);
      g_assert_true (guarded_intact (&out, out_bytes));
      fb_ref_add (x1, x2, y, (gint64) n, m1, m2, d, b->o, 0);
      for (i = 0; i < n; i++)
        {
          gint32 got = unpack_u (out.data, i, b->o);
          if (got != y[i])
            g_test_message ("case %d: m1 %d m2 %d shift %d x1 %d x2 %d: got %d, reference %d",
                            c, m1, m2, d, x1[i], x2[i], got, y[i]);
          g_assert_cmpint (got, ==, y[i]);
        }
      guarded_clear (&in1);
      guarded_clear (&in2);
      guarded_clear (&out);
      g_free (x1);
      g_free (x2);
      g_free (y);
    }
  g_rand_free (r);
}

static void
test_avgpool_random (gconstpointer data)
{
  const Bits *b = data;
  GRand *r = g_rand_new_with_seed (seed_for ("avgpool", b));
  int c;
  for (c = 0; c < N_RANDOM; c++)
    {
      gboolean big = c % 50 == 49;
      gint32 dx = big ? rnd (r, 100, 300) : rnd (r, 1, 12), dy = big ? rnd (r, 100, 300) : rnd (r, 1, 12);
      gint32 ch = rnd_mult (r, 1, big ? 8 : 40, 8 / b->a);
      gsize n = (gsize) dx * dy * ch, i, out_bytes = packed_len (ch, b->a);
      gint32 *x = g_new (gint32, n), *y = g_new (gint32, ch);
      Guarded in, out;
      FbKernelStatus st;

      fill_values (r, x, n, 0, (1 << b->a) - 1, g_rand_int_range (r, 0, VAL_N), FALSE);
      guarded_init (&in, packed_len (n, b->a), (gsize) g_rand_int_range (r, 0, 4));
      guarded_init (&out, out_bytes, 0);
      pack_bits (x, n, b->a, in.data);
      st = fb_avgpool_lookup (b->a) (in.data, out.data, dx, dy, ch, 0);
      g_assert_cmpint (st, ==, FB_KERNEL_OK);
      g_assert_true (guarded_intact (&out, out_bytes));
      fb_ref_avgpool (x, y, dx, dy, ch);
      for (i = 0; i < (gsize) ch; i++)
        g_assert_cmpint (unpack_u (out.data, i, b->a), ==, y[i]);
      guarded_clear (&in);
      guarded_clear (&out);
      g_free (x);
      g_free (y);
    }
  g_rand_free (r);
}

/* The multiply-shift reciprocal equals the division for every N and at the boundaries of
 * every quotient (X = q * 2N - 1, q * 2N, and the largest X = 511 N). */
static void
test_avgpool_reciprocal (void)
{
  GRand *r = g_rand_new_with_seed (77);
  gint32 n;
  for (n = 1; n <= FB_KERNEL_MAX_POOL; n = n < 5000 ? n + 1 : n + rnd (r, 1, 3000))
    {
      guint64 m, d = 2 * (guint64) n, xmax = 511 * (guint64) n, q, qs[6];
      gint32 s;
      int k;
      g_assert_true (fb_avgpool_reciprocal (n, &m, &s));
      g_assert_cmpuint (m * (xmax + 1), <, G_MAXUINT64 / 2);
      qs[0] = 0; qs[1] = 1; qs[2] = 255; qs[3] = 254;
      qs[4] = (guint64) rnd (r, 0, 255); qs[5] = 128;
      for (k = 0; k < 6; k++)
        {
          guint64 xs[3] = { qs[k] * d, qs[k] * d + d - 1, qs[k] * d + d / 2 };
          int j;
          q = qs[k];
          for (j = 0; j < 3; j++)
            if (xs[j] <= xmax)
              g_assert_cmpuint ((xs[j] * m) >> s, ==, xs[j] / d);
        }
      g_assert_cmpuint ((xmax * m) >> s, ==, xmax / d);
      (void) q;
    }
  g_assert_false (fb_avgpool_reciprocal (0, NULL, NULL));
  g_assert_false (fb_avgpool_reciprocal (FB_KERNEL_MAX_POOL + 1, (guint64 *) &n, &n));
  g_rand_free (r);
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-computed cases                                                                        */

static void
test_hand_conv (void)
{
  /* 3x3 single-channel input 1..9, 3x3 all-ones kernel, pad 1: neighbourhood sums */
  const guint8 x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  const guint8 w[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  const gint32 kappa[1] = { 1 }, lambda[1] = { 0 };
  const guint8 expect[9] = { 12, 21, 16, 27, 45, 33, 24, 39, 28 };
  const guint8 expect_s2[4] = { 12, 16, 24, 28 };
  FbConvParams p = { 3, 3, 1, 3, 3, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0 };
  guint8 y[9], buf[4096];
  gsize bs = fb_conv_get_buffer_size (8, 8, 8, &p);

  g_assert_cmpuint (bs, <=, sizeof buf);
  g_assert_cmpint (fb_conv_u8_u8_i8 (x, w, kappa, lambda, y, &p, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpmem (y, 9, expect, 9);
  p.stride_x = p.stride_y = 2;
  p.dim_out_x = p.dim_out_y = 2;
  bs = fb_conv_get_buffer_size (8, 8, 8, &p);
  g_assert_cmpint (fb_conv_u8_u8_i8 (x, w, kappa, lambda, y, &p, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpmem (y, 4, expect_s2, 4);
  /* 3x3 of 16x16x32 -> 32, pad 1: the MAC count */
  {
    FbConvParams q = { 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0 };
    g_assert_cmpuint (fb_conv_macs (&q, 0), ==, 2166784);
  }
}

static void
test_hand_conv_packed (void)
{
  /* u4 input pixel (3, 5) = 0x53; i4 weight rows (-1, 2) = 0x2F and (7, -8) = 0x87;
   * acc = (7, -19); kappa (1, -1) -> (7, 19 -> clip 15); output u4 (7, 15) = 0xF7 */
  const guint8 x[1] = { 0x53 };
  const guint8 w[2] = { 0x2F, 0x87 };
  const gint32 kappa[2] = { 1, -1 }, lambda[2] = { 0, 0 };
  FbConvParams p = { 1, 1, 2, 1, 1, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0 };
  guint8 y[2] = { 0, 0xEE }, buf[1024];
  gsize bs = fb_conv_get_buffer_size (4, 4, 4, &p);
  g_assert_cmpint (fb_conv_u4_u4_i4 (x, w, kappa, lambda, y, &p, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmphex (y[0], ==, 0xF7);
  g_assert_cmphex (y[1], ==, 0xEE);   /* one byte of output only */

  /* u2 input (1, 2, 3, 0) = 0x39, i2 weights (-2, -1, 0, 1) = 0x4E:
   * acc = -2 - 2 + 0 + 0 = -4; kappa -1 -> 4 (one output channel, so a u8 output) */
  {
    const guint8 x2[1] = { 0x39 }, w2[1] = { 0x4E };
    const gint32 k2[1] = { -1 }, l2[1] = { 0 };
    FbConvParams p2 = { 1, 1, 4, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0 };
    guint8 y2[1];
    bs = fb_conv_get_buffer_size (2, 8, 2, &p2);
    g_assert_cmpint (fb_conv_u2_u8_i2 (x2, w2, k2, l2, y2, &p2, buf, bs), ==, FB_KERNEL_OK);
    g_assert_cmpuint (y2[0], ==, 4);
  }
}

static void
test_hand_requant (void)
{
  /* linear with one input: acc = x * w */
  const guint8 x[1] = { 5 };
  const guint8 wpos[1] = { 1 }, wneg[1] = { 0xFF };
  gint32 kappa[1] = { 3 }, lambda[1] = { 2 };   /* rounding term of d = 2 */
  guint8 y[1], buf[256];
  gsize bs = fb_linear_get_buffer_size (8, 8, 8, 1, 1);

  /* (15 + 2) >> 2 = 4 */
  g_assert_cmpint (fb_linear_u8_u8_i8 (x, wpos, kappa, lambda, y, 1, 1, 2, 0, buf, bs), ==, 0);
  g_assert_cmpuint (y[0], ==, 4);
  /* (-15 + 2) >> 2 = floor (-3.25) = -4 -> 0 */
  g_assert_cmpint (fb_linear_u8_u8_i8 (x, wneg, kappa, lambda, y, 1, 1, 2, 0, buf, bs), ==, 0);
  g_assert_cmpuint (y[0], ==, 0);
  /* floor: 5 >> 1 = 2 */
  kappa[0] = 1;
  lambda[0] = 0;
  g_assert_cmpint (fb_linear_u8_u8_i8 (x, wpos, kappa, lambda, y, 1, 1, 1, 0, buf, bs), ==, 0);
  g_assert_cmpuint (y[0], ==, 2);
  /* int64 product: kappa = INT32_MAX, acc = 255 * 127 * 2 = 64770, d = 40:
   * 2147483647 * 64770 = 139092516814190 -> >> 40 = 126 */
  {
    const guint8 xx[2] = { 255, 255 }, ww[2] = { 127, 127 };
    kappa[0] = G_MAXINT32;
    bs = fb_linear_get_buffer_size (8, 8, 8, 2, 1);
    g_assert_cmpint (fb_linear_u8_u8_i8 (xx, ww, kappa, lambda, y, 2, 1, 40, 0, buf, bs), ==, 0);
    g_assert_cmpuint (y[0], ==, 126);
    /* the same with d = 38 (= 505.9 -> clip 255) and a u4 output (clip 15) */
    g_assert_cmpint (fb_linear_u8_u8_i8 (xx, ww, kappa, lambda, y, 2, 1, 38, 0, buf, bs), ==, 0);
    g_assert_cmpuint (y[0], ==, 255);
  }
  /* u4 outputs pack two per byte: 2 outputs of one input */
  {
    const guint8 w2[2] = { 1, 2 };
    gint32 k2[2] = { 1, 1 }, l2[2] = { 0, 0 };
    bs = fb_linear_get_buffer_size (8, 4, 8, 1, 2);
    g_assert_cmpint (fb_linear_u8_u4_i8 (x, w2, k2, l2, y, 1, 2, 0, 0, buf, bs), ==, 0);
    g_assert_cmphex (y[0], ==, 0xA5);   /* 5 | 10 << 4 */
  }
}

static void
test_hand_linear_i32 (void)
{
  const guint8 x[3] = { 1, 2, 3 };
  const guint8 w[6] = { 1, 1, 1, 0xFF, 0, 2 };   /* rows (1, 1, 1), (-1, 0, 2) */
  gint32 bias[2] = { 10, -100 }, y[2];
  guint8 buf[256];
  gsize bs = fb_linear_get_buffer_size (8, 32, 8, 3, 2);
  g_assert_cmpint (fb_linear_u8_i32_i8 (x, w, bias, y, 3, 2, 0, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpint (y[0], ==, 16);
  g_assert_cmpint (y[1], ==, -95);
  g_assert_cmpint (fb_linear_u8_i32_i8 (x, w, bias, y, 3, 2, 1, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpint (y[1], ==, 0);
  g_assert_cmpint (fb_linear_u8_i32_i8 (x, w, NULL, y, 3, 2, 0, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpint (y[0], ==, 6);
  g_assert_cmpint (y[1], ==, 5);
  bias[0] = G_MAXINT32;
  bias[1] = G_MININT32;
  g_assert_cmpint (fb_linear_u8_i32_i8 (x, w, bias, y, 3, 2, 0, buf, bs), ==, FB_KERNEL_OK);
  g_assert_cmpint (y[0], ==, G_MAXINT32);
  g_assert_cmpint (y[1], ==, G_MININT32 + 5);
}

/* fb_ki_linear_int32()'s 32-bit saturation test against the 64-bit clamp it replaced: every
 * pair of edge values, then random pairs, both ReLU settings */
static gint32
linear_int32_64 (gint32 acc, gint32 bias, int relu)
{
  gint64 v = (gint64) acc + bias;
  v = v > G_MAXINT32 ? G_MAXINT32 : v < G_MININT32 ? G_MININT32 : v;
  return relu && v < 0 ? 0 : (gint32) v;
}

static void
test_linear_int32_saturation (void)
{
  static const gint32 edge[] = { G_MININT32, G_MININT32 + 1, -1073741824, -2, -1, 0, 1, 2,
                                 1073741823, 1073741824, G_MAXINT32 - 1, G_MAXINT32 };
  GRand *r = g_rand_new_with_seed (19);
  for (guint i = 0; i < G_N_ELEMENTS (edge); i++)
    for (guint j = 0; j < G_N_ELEMENTS (edge); j++)
      for (int relu = 0; relu < 2; relu++)
        g_assert_cmpint (fb_ki_linear_int32 (edge[i], edge[j], relu), ==,
                         linear_int32_64 (edge[i], edge[j], relu));
  for (int k = 0; k < 200000; k++)
    {
      const gint32 a = (gint32) g_rand_int (r), b = (gint32) g_rand_int (r);
      g_assert_cmpint (fb_ki_linear_int32 (a, b, k & 1), ==, linear_int32_64 (a, b, k & 1));
    }
  g_rand_free (r);
}

static void
test_hand_depthwise (void)
{
  /* 3x3x2 input, channel 0 = 1..9, channel 1 = 10..90; 3x3 kernel, no pad -> 1x1x2;
   * channel 0 weights all 1 (sum 45), channel 1 centre 2 (2 * 50 = 100) */
  guint8 x[18];
  gint8 wc[18];   /* [C][Ky][Kx] */
  guint8 wp[18], y[2];
  const gint32 kappa[2] = { 1, 1 }, lambda[2] = { 0, 0 };
  FbConvParams p = { 3, 3, 2, 1, 1, 2, 3, 3, 0, 0, 0, 0, 1, 1, 0, 0 };
  int i;
  for (i = 0; i < 9; i++)
    {
      x[2 * i] = (guint8) (i + 1);
      x[2 * i + 1] = (guint8) (10 * (i + 1));
      wc[i] = 1;
      wc[9 + i] = i == 4 ? 2 : 0;
    }
  g_assert_cmpint (fb_kernel_pack_depthwise_weights (wc, 2, 3, 3, 8, wp), ==, FB_KERNEL_OK);
  /* layout [Ky][Kx][C]: tap 4 = (1, 2) */
  g_assert_cmpint (wp[8], ==, 1);
  g_assert_cmpint (wp[9], ==, 2);
  {
    guint8 buf[64];
    gsize bs = fb_depthwise_get_buffer_size (8, 8, 8, &p);
    g_assert_cmpuint (bs, <=, sizeof buf);
    g_assert_cmpint (fb_depthwise_u8_u8_i8 (x, wp, kappa, lambda, y, &p, buf, bs), ==,
                     FB_KERNEL_OK);
  }
  g_assert_cmpuint (y[0], ==, 45);
  g_assert_cmpuint (y[1], ==, 100);
}

static void
test_hand_add_pool (void)
{
  /* add u8 u8 u8: 10 * 0.5 + 20 * 0.25 + 0.5 -> floor 10;  3 * 0.5 + 0.5 -> 2 */
  const guint8 a[2] = { 10, 3 }, b[2] = { 20, 0 };
  guint8 y[2];
  g_assert_cmpint (fb_add_u8_u8_u8 (a, b, y, 1, 1, 2, 128, 64, 8, 0), ==, FB_KERNEL_OK);
  g_assert_cmpuint (y[0], ==, 10);
  g_assert_cmpuint (y[1], ==, 2);
  /* add u4 u2 u4, 4 channels: (1, 2, 3, 15) + (3, 0, 1, 2) = (4, 2, 4, 17 -> 15) */
  {
    const guint8 a4[2] = { 0x21, 0xF3 }, b2[1] = { 0x93 };
    guint8 y4[2];
    g_assert_cmpint (fb_add_u4_u2_u4 (a4, b2, y4, 1, 1, 4, 16, 16, 4, 0), ==, FB_KERNEL_OK);
    g_assert_cmphex (y4[0], ==, 0x24);
    g_assert_cmphex (y4[1], ==, 0xF4);
  }
  /* avgpool u8 2x2: 10 / 4 = 2.5 -> 3 (ties up); 5 / 4 -> 1 */
  {
    const guint8 px[4] = { 1, 2, 3, 4 }, px2[4] = { 1, 1, 1, 2 };
    guint8 m[1];
    g_assert_cmpint (fb_avgpool_u8 (px, m, 2, 2, 1, 0), ==, FB_KERNEL_OK);
    g_assert_cmpuint (m[0], ==, 3);
    g_assert_cmpint (fb_avgpool_u8 (px2, m, 2, 2, 1, 0), ==, FB_KERNEL_OK);
    g_assert_cmpuint (m[0], ==, 1);
  }
  /* avgpool u4, 3x1 pixels, 2 channels: (15, 15, 14) -> 14.67 -> 15; (0, 1, 1) -> 1 */
  {
    const guint8 px[3] = { 0x0F, 0x1F, 0x1E };
    guint8 m[1];
    g_assert_cmpint (fb_avgpool_u4 (px, m, 3, 1, 2, 0), ==, FB_KERNEL_OK);
    g_assert_cmphex (m[0], ==, 0x1F);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Packing                                                                                    */

static void
test_pack_explicit (void)
{
  const guint8 u[4] = { 1, 2, 3, 0 };
  const gint8 s4[2] = { -1, 1 }, s2[4] = { -2, -1, 0, 1 };
  const gint8 rows[6] = { 1, -2, 3, -4, 5, -6 };   /* 2 rows of 3 at 4 bits */
  const gint8 dw[4] = { 1, 2, 3, 4 };               /* [C=2][1][Kx=2] */
  guint8 out[8];
  gint8 back[8];

  g_assert_cmpint (fb_kernel_pack_unsigned (u, 4, 2, out), ==, FB_KERNEL_OK);
  g_assert_cmphex (out[0], ==, 0x39);
  g_assert_cmpint (fb_kernel_pack_signed (s4, 2, 4, out), ==, FB_KERNEL_OK);
  g_assert_cmphex (out[0], ==, 0x1F);
  g_assert_cmpint (fb_kernel_pack_signed (s2, 4, 2, out), ==, FB_KERNEL_OK);
  g_assert_cmphex (out[0], ==, 0x4E);
  /* partial last byte: high bits zero */
  memset (out, 0xFF, sizeof out);
  g_assert_cmpint (fb_kernel_pack_unsigned (u, 3, 2, out), ==, FB_KERNEL_OK);
  g_assert_cmphex (out[0], ==, 0x39);
  g_assert_cmphex (out[1], ==, 0xFF);
  /* conv rows padded to whole bytes: (1, -2, 3) = 0xE1 0x03, (-4, 5, -6) = 0x5C 0x0A */
  g_assert_cmpuint (fb_kernel_weight_row_bytes (3, 4), ==, 2);
  g_assert_cmpuint (fb_kernel_conv_weights_bytes (2, 3, 4), ==, 4);
  g_assert_cmpint (fb_kernel_pack_conv_weights (rows, 2, 3, 4, out), ==, FB_KERNEL_OK);
  g_assert_cmphex (out[0], ==, 0xE1);
  g_assert_cmphex (out[1], ==, 0x03);
  g_assert_cmphex (out[2], ==, 0x5C);
  g_assert_cmphex (out[3], ==, 0x0A);
  g_assert_cmpint (fb_kernel_unpack_conv_weights (out, 2, 3, 4, back), ==, FB_KERNEL_OK);
  g_assert_cmpmem (back, 6, rows, 6);
  /* depthwise: [C][Ky][Kx] in, [Ky][Kx][C] out */
  g_assert_cmpint (fb_kernel_pack_depthwise_weights (dw, 2, 1, 2, 8, out), ==, FB_KERNEL_OK);
  g_assert_cmpint (out[0], ==, 1);
  g_assert_cmpint (out[1], ==, 3);
  g_assert_cmpint (out[2], ==, 2);
  g_assert_cmpint (out[3], ==, 4);
  g_assert_cmpint (fb_kernel_unpack_depthwise_weights (out, 2, 1, 2, 8, back), ==, FB_KERNEL_OK);
  g_assert_cmpmem (back, 4, dw, 4);
  g_assert_cmpuint (fb_kernel_depthwise_weights_bytes (8, 3, 3, 2), ==, 18);
  g_assert_cmpuint (fb_kernel_packed_bytes (5, 4), ==, 3);
  g_assert_cmpuint (fb_kernel_packed_bytes (5, 2), ==, 2);
}

static void
test_pack_roundtrip (void)
{
  GRand *r = g_rand_new_with_seed (4242);
  static const int bits[] = { 8, 4, 2 };
  int t;
  for (t = 0; t < 600; t++)
    {
      int b = bits[t % 3];
      gsize n = (gsize) g_rand_int_range (r, 1, 200), i, nb = packed_len (n, b);
      gint32 *v = g_new (gint32, n);
      guint8 *u = g_new (guint8, n), *u2 = g_new (guint8, n), *p = g_new (guint8, nb + 1),
             *q = g_new (guint8, nb + 1);
      gint8 *s = g_new (gint8, n), *s2 = g_new (gint8, n);

      g_assert_cmpuint (fb_kernel_packed_bytes (n, b), ==, nb);
      for (i = 0; i < n; i++)
        {
          v[i] = rnd (r, 0, (1 << b) - 1);
          u[i] = (guint8) v[i];
        }
      g_assert_cmpint (fb_kernel_pack_unsigned (u, n, b, p), ==, FB_KERNEL_OK);
      pack_bits (v, n, b, q);
      g_assert_cmpmem (p, nb, q, nb);
      g_assert_cmpint (fb_kernel_unpack_unsigned (p, n, b, u2), ==, FB_KERNEL_OK);
      g_assert_cmpmem (u, n, u2, n);

      for (i = 0; i < n; i++)
        {
          v[i] = rnd (r, -(1 << (b - 1)), (1 << (b - 1)) - 1);
          s[i] = (gint8) v[i];
        }
      g_assert_cmpint (fb_kernel_pack_signed (s, n, b, p), ==, FB_KERNEL_OK);
      pack_bits (v, n, b, q);
      g_assert_cmpmem (p, nb, q, nb);
      g_assert_cmpint (fb_kernel_unpack_signed (p, n, b, s2), ==, FB_KERNEL_OK);
      g_assert_cmpmem (s, n, s2, n);

      /* depthwise round trip with a channel count that fits */
      {
        gsize ch = (gsize) (8 / b) * (gsize) g_rand_int_range (r, 1, 6), ky = 3, kx = 2;
        gsize nw = ch * ky * kx, nbw = fb_kernel_depthwise_weights_bytes (ch, ky, kx, b);
        gint8 *dw = g_new (gint8, nw), *dw2 = g_new (gint8, nw);
        guint8 *dp = g_new (guint8, nbw);
        for (i = 0; i < nw; i++)
          dw[i] = (gint8) rnd (r, -(1 << (b - 1)), (1 << (b - 1)) - 1);
        g_assert_cmpint (fb_kernel_pack_depthwise_weights (dw, ch, ky, kx, b, dp), ==, FB_KERNEL_OK);
        g_assert_cmpint (fb_kernel_unpack_depthwise_weights (dp, ch, ky, kx, b, dw2), ==,
                         FB_KERNEL_OK);
        g_assert_cmpmem (dw, nw, dw2, nw);
        g_free (dw);
        g_free (dw2);
        g_free (dp);
      }
      g_free (v);
      g_free (u);
      g_free (u2);
      g_free (p);
      g_free (q);
      g_free (s);
      g_free (s2);
    }
  g_rand_free (r);
}

static void
test_pack_errors (void)
{
  const guint8 u[2] = { 4, 0 };
  const gint8 s[2] = { 2, 0 };
  guint8 out[4] = { 0x11, 0x22, 0x33, 0x44 };
  gint8 back[4];
  g_assert_cmpint (fb_kernel_pack_unsigned (u, 2, 2, out), ==, FB_KERNEL_ERROR_DIM);
  g_assert_cmpint (fb_kernel_pack_signed (s, 2, 2, out), ==, FB_KERNEL_ERROR_DIM);
  g_assert_cmpint (fb_kernel_pack_conv_weights (s, 1, 2, 2, out), ==, FB_KERNEL_ERROR_DIM);
  g_assert_cmpint (fb_kernel_pack_unsigned (u, 2, 3, out), ==, FB_KERNEL_ERROR_BITS);
  g_assert_cmpint (fb_kernel_pack_unsigned (NULL, 2, 8, out), ==, FB_KERNEL_ERROR_NULL);
  g_assert_cmpint (fb_kernel_unpack_signed (out, 2, 8, NULL), ==, FB_KERNEL_ERROR_NULL);
  g_assert_cmpint (fb_kernel_pack_depthwise_weights (s, 3, 1, 1, 4, out), ==,
                   FB_KERNEL_ERROR_CHANNELS);
  g_assert_cmpint (fb_kernel_unpack_depthwise_weights (out, 3, 1, 1, 2, back), ==,
                   FB_KERNEL_ERROR_CHANNELS);
  /* nothing written on error */
  g_assert_cmphex (out[0], ==, 0x11);
  g_assert_cmphex (out[1], ==, 0x22);
  g_assert_cmpuint (fb_kernel_packed_bytes (4, 3), ==, 0);
  g_assert_true (fb_kernel_bits_valid (2));
  g_assert_false (fb_kernel_bits_valid (1));
}

/* ------------------------------------------------------------------------------------------ */
/* Invalid arguments: error status, nothing written                                           */

#define OUT_SIZE 4096

static guint8 *
fresh_output (void)
{
  guint8 *o = g_malloc (OUT_SIZE);
  memset (o, GUARD_BYTE, OUT_SIZE);
  return o;
}

static void
assert_untouched (const guint8 *o)
{
  gsize i;
  for (i = 0; i < OUT_SIZE; i++)
    g_assert_cmphex (o[i], ==, GUARD_BYTE);
}

static void
test_invalid_conv (void)
{
  static const guint8 in[4096];
  static const guint8 w[4096];
  static const gint32 k[64], l[64];
  static guint8 buf[65536];
  const FbConvParams good = { 4, 4, 8, 4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 0 };
  FbConvParams p;
  guint8 *o = fresh_output ();
  gsize bs;
  int dw;

  for (dw = 0; dw < 2; dw++)
    {
      FbConvFunc f = dw ? fb_depthwise_u4_u2_i2 : fb_conv_u4_u2_i2;
      bs = dw ? fb_depthwise_get_buffer_size (4, 2, 2, &good)
              : fb_conv_get_buffer_size (4, 2, 2, &good);
      g_assert_cmpuint (bs, >, 0);
      g_assert_cmpuint (bs, <, sizeof buf);
#define EXPECT(expr, status) \
      G_STMT_START { g_assert_cmpint ((expr), ==, (status)); assert_untouched (o); } G_STMT_END

      EXPECT (f (NULL, w, k, l, o, &good, buf, bs), FB_KERNEL_ERROR_NULL);
      EXPECT (f (in, NULL, k, l, o, &good, buf, bs), FB_KERNEL_ERROR_NULL);
      EXPECT (f (in, w, NULL, l, o, &good, buf, bs), FB_KERNEL_ERROR_NULL);
      EXPECT (f (in, w, k, NULL, o, &good, buf, bs), FB_KERNEL_ERROR_NULL);
      EXPECT (f (in, w, k, l, NULL, &good, buf, bs), FB_KERNEL_ERROR_NULL);
      EXPECT (f (in, w, k, l, o, NULL, buf, bs), FB_KERNEL_ERROR_NULL);

      p = good; p.dim_in_x = 0;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
      p = good; p.ch_out = -4;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
      p = good; p.stride_y = 0;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
      p = good; p.pad_left = -1;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
      p = good; p.dim_kernel_x = 40000;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
      if (!dw)
        {
          /* reduction over 65536: int32 overflow would be possible */
          p = good; p.ch_in = 8192; p.dim_kernel_x = 3; p.dim_kernel_y = 3;
          EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_DIM);
        }
      if (dw)
        {
          /* u4 input takes 6 channels, the i2 depthwise weights do not */
          p = good; p.ch_in = p.ch_out = 6;
          EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_CHANNELS);
        }
      p = good; p.ch_in = 7;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_CHANNELS);
      p = good; p.ch_out = 6;   /* u2 output needs a multiple of 4 */
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_CHANNELS);
      if (dw)
        {
          p = good; p.ch_out = 4;
          EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_CHANNELS);
        }
      p = good; p.out_shift = -1;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHIFT);
      p = good; p.out_shift = 64;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHIFT);
      p = good; p.dim_out_x = 5;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHAPE);
      p = good; p.dim_out_y = 3;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHAPE);
      p = good; p.stride_x = 2;   /* output would be 2 wide */
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHAPE);
      p = good; p.pad_left = p.pad_right = 0; p.dim_in_x = 2; p.dim_out_x = 1; p.dim_kernel_x = 3;
      EXPECT (f (in, w, k, l, o, &p, buf, bs), FB_KERNEL_ERROR_SHAPE);
      EXPECT (f (in, w, k, l, o, &good, NULL, bs), FB_KERNEL_ERROR_BUFFER);
      EXPECT (f (in, w, k, l, o, &good, buf, bs - 1), FB_KERNEL_ERROR_BUFFER);
      EXPECT (f (in, w, k, l, o, &good, buf, 0), FB_KERNEL_ERROR_BUFFER);
#undef EXPECT
    }
  /* lookups and size functions on bad input */
  g_assert_null (fb_conv_lookup (3, 8, 8));
  g_assert_null (fb_conv_lookup (8, 16, 8));
  g_assert_null (fb_depthwise_lookup (8, 8, 1));
  g_assert_cmpuint (fb_conv_get_buffer_size (8, 8, 5, &good), ==, 0);
  g_assert_cmpuint (fb_conv_get_buffer_size (8, 8, 8, NULL), ==, 0);
  p = good; p.dim_out_x = 9;
  g_assert_cmpuint (fb_conv_get_buffer_size (8, 8, 8, &p), ==, 0);
  g_assert_cmpuint (fb_conv_get_buffer_size_for_arch ((FbKernelArch) 7, 8, 8, 8, &good), ==, 0);
  g_assert_cmpint (fb_conv_check_params (8, 8, 8, 0, &good), ==, FB_KERNEL_OK);
  g_assert_cmpint (fb_conv_check_params (8, 8, 7, 0, &good), ==, FB_KERNEL_ERROR_BITS);
  g_assert_cmpuint (fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_HOST, 8, 8, 8, &good), >, 0);
  g_assert_cmpuint (fb_conv_get_buffer_size_for_arch (FB_KERNEL_ARCH_SCALAR, 8, 8, 8, &good), >, 0);
  g_free (o);
}

static void
test_invalid_linear_add_pool (void)
{
  static const guint8 in[4096], in2[4096], w[4096];
  static const gint32 k[64], l[64];
  static guint8 buf[65536];
  guint8 *o = fresh_output ();
  gint32 o32[8];
  gsize bs = fb_linear_get_buffer_size (4, 4, 8, 16, 8);

  g_assert_cmpuint (bs, >, 0);
#define EXPECT(expr, status) \
  G_STMT_START { g_assert_cmpint ((expr), ==, (status)); assert_untouched (o); } G_STMT_END
  EXPECT (fb_linear_u4_u4_i8 (NULL, w, k, l, o, 16, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_NULL);
  EXPECT (fb_linear_u4_u4_i8 (in, w, NULL, l, o, 16, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_NULL);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, NULL, 16, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_NULL);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 0, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 70000, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, -1, 8, 0, buf, bs), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 15, 8, 8, 0, buf, bs), FB_KERNEL_ERROR_CHANNELS);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, 7, 8, 0, buf, bs), FB_KERNEL_ERROR_CHANNELS);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, 8, 64, 0, buf, bs), FB_KERNEL_ERROR_SHIFT);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, 8, -3, 0, buf, bs), FB_KERNEL_ERROR_SHIFT);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, 8, 8, 0, NULL, bs), FB_KERNEL_ERROR_BUFFER);
  EXPECT (fb_linear_u4_u4_i8 (in, w, k, l, o, 16, 8, 8, 0, buf, bs - 1), FB_KERNEL_ERROR_BUFFER);

  o32[0] = 0x1234;
  bs = fb_linear_get_buffer_size (2, 32, 2, 16, 8);
  g_assert_cmpint (fb_linear_u2_i32_i2 (in, NULL, NULL, o32, 16, 8, 0, buf, bs), ==,
                   FB_KERNEL_ERROR_NULL);
  g_assert_cmpint (fb_linear_u2_i32_i2 (in, w, NULL, o32, 14, 8, 0, buf, bs), ==,
                   FB_KERNEL_ERROR_CHANNELS);
  g_assert_cmpint (fb_linear_u2_i32_i2 (in, w, NULL, o32, 16, 8, 0, buf, 3), ==,
                   FB_KERNEL_ERROR_BUFFER);
  g_assert_cmpint (o32[0], ==, 0x1234);
  g_assert_cmpuint (fb_linear_get_buffer_size (2, 32, 2, 15, 8), ==, 0);
  g_assert_cmpuint (fb_linear_get_buffer_size (2, 16, 2, 16, 8), ==, 0);
  g_assert_null (fb_linear_lookup (8, 32, 8));
  g_assert_null (fb_linear_i32_lookup (8, 3));

  EXPECT (fb_add_u8_u4_u2 (NULL, in2, o, 2, 2, 4, 1, 1, 0, 0), FB_KERNEL_ERROR_NULL);
  EXPECT (fb_add_u8_u4_u2 (in, in2, o, 0, 2, 4, 1, 1, 0, 0), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_add_u8_u4_u2 (in, in2, o, 2, 2, 2, 1, 1, 0, 0), FB_KERNEL_ERROR_CHANNELS);
  EXPECT (fb_add_u8_u4_u2 (in, in2, o, 2, 2, 4, 1, 1, 64, 0), FB_KERNEL_ERROR_SHIFT);
  EXPECT (fb_add_u8_u4_u2 (in, in2, o, 2, 2, 4, 1, 1, -1, 0), FB_KERNEL_ERROR_SHIFT);
  g_assert_null (fb_add_lookup (8, 8, 6));

  EXPECT (fb_avgpool_u2 (NULL, o, 2, 2, 4, 0), FB_KERNEL_ERROR_NULL);
  EXPECT (fb_avgpool_u2 (in, o, 2, 0, 4, 0), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_avgpool_u2 (in, o, 2048, 2048, 4, 0), FB_KERNEL_ERROR_DIM);
  EXPECT (fb_avgpool_u2 (in, o, 2, 2, 6, 0), FB_KERNEL_ERROR_CHANNELS);
  g_assert_null (fb_avgpool_lookup (16));
#undef EXPECT
  g_free (o);
}

/* The copy the kernels should run: the best the build has (FB_TEST_KERNELS_MAX_ISA) that
 * the CPU supports. */
static const char *
expected_host_code (void)
{
  const char *max = FB_TEST_KERNELS_MAX_ISA;
  if (fb_kernel_arch () == FB_KERNEL_ARCH_SCALAR)
    return "scalar";
#if defined(__x86_64__) && defined(__GNUC__)
  if (g_str_equal (max, "avx512vnni") && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512vnni"))
    return "avx512vnni";
  if (!g_str_equal (max, "baseline") && __builtin_cpu_supports ("avx2"))
    return "avx2";
#endif
  return "baseline";
}

static void
test_code_path (void)
{
  g_test_message ("kernels run with: %s", fb_kernel_host_code ());
  g_assert_cmpstr (fb_kernel_host_code (), ==, expected_host_code ());
}

static void
test_dispatch (void)
{
  static const FbKernelFamily fams[] = { FB_KERNEL_FAMILY_CONV, FB_KERNEL_FAMILY_DEPTHWISE,
                                         FB_KERNEL_FAMILY_LINEAR, FB_KERNEL_FAMILY_LINEAR_I32,
                                         FB_KERNEL_FAMILY_ADD, FB_KERNEL_FAMILY_AVGPOOL };
  static const gsize counts[] = { 27, 27, 27, 9, 27, 3 };
  gsize f, i, n;
  for (f = 0; f < G_N_ELEMENTS (fams); f++)
    {
      const FbKernelVariant *v = fb_kernel_family_variants (fams[f], &n);
      g_assert_nonnull (v);
      g_assert_cmpuint (n, ==, counts[f]);
      for (i = 0; i < n; i++)
        {
          char *expect = NULL;
          gpointer fn = NULL;
          switch (fams[f])
            {
            case FB_KERNEL_FAMILY_CONV:
              expect = g_strdup_printf ("fb_conv_u%d_u%d_i%d", v[i].in_bits, v[i].out_bits, v[i].w_bits);
              fn = (gpointer) fb_conv_lookup (v[i].in_bits, v[i].out_bits, v[i].w_bits);
              break;
            case FB_KERNEL_FAMILY_DEPTHWISE:
              expect = g_strdup_printf ("fb_depthwise_u%d_u%d_i%d", v[i].in_bits, v[i].out_bits, v[i].w_bits);
              fn = (gpointer) fb_depthwise_lookup (v[i].in_bits, v[i].out_bits, v[i].w_bits);
              break;
            case FB_KERNEL_FAMILY_LINEAR:
              expect = g_strdup_printf ("fb_linear_u%d_u%d_i%d", v[i].in_bits, v[i].out_bits, v[i].w_bits);
              fn = (gpointer) fb_linear_lookup (v[i].in_bits, v[i].out_bits, v[i].w_bits);
              break;
            case FB_KERNEL_FAMILY_LINEAR_I32:
              expect = g_strdup_printf ("fb_linear_u%d_i32_i%d", v[i].in_bits, v[i].w_bits);
              fn = (gpointer) fb_linear_i32_lookup (v[i].in_bits, v[i].w_bits);
              break;
            case FB_KERNEL_FAMILY_ADD:
              expect = g_strdup_printf ("fb_add_u%d_u%d_u%d", v[i].in_bits, v[i].w_bits, v[i].out_bits);
              fn = (gpointer) fb_add_lookup (v[i].in_bits, v[i].w_bits, v[i].out_bits);
              break;
            default:
              expect = g_strdup_printf ("fb_avgpool_u%d", v[i].in_bits);
              fn = (gpointer) fb_avgpool_lookup (v[i].in_bits);
              break;
            }
          g_assert_cmpstr (v[i].name, ==, expect);
          g_assert_nonnull (fn);
          g_free (expect);
        }
      g_assert_nonnull (fb_kernel_family_name (fams[f]));
    }
  g_assert_true (fb_conv_lookup (8, 4, 2) == fb_conv_u8_u4_i2);
  g_assert_true (fb_depthwise_lookup (2, 8, 4) == fb_depthwise_u2_u8_i4);
  g_assert_true (fb_add_lookup (4, 2, 8) == fb_add_u4_u2_u8);
  g_assert_true (fb_linear_i32_lookup (4, 2) == fb_linear_u4_i32_i2);
  g_assert_null (fb_kernel_family_variants (FB_KERNEL_N_FAMILIES, &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpstr (fb_kernel_status_to_string (FB_KERNEL_ERROR_SHAPE), ==,
                   "output shape inconsistent with input");
}

/* ------------------------------------------------------------------------------------------ */
/* Signed activations and windowed pools: every variant of a family under every signedness    */
/* flag set, on random geometries, bit-exact against the reference (through the bench cases,  */
/* which pack signed values as two's complement and unpack signed outputs).                    */

#define SI FB_KERNEL_FLAG_SIGNED_IN
#define SI2 FB_KERNEL_FLAG_SIGNED_IN2
#define SO FB_KERNEL_FLAG_SIGNED_OUT
#define CIP FB_KERNEL_FLAG_COUNT_INCLUDE_PAD

static void
random_shape (GRand *r, FbKernelFamily f, FbKernelBenchShape *sh)
{
  FbConvParams *p = &sh->conv;
  memset (sh, 0, sizeof *sh);
  p->dim_kernel_x = g_rand_int_range (r, 1, 4);
  p->dim_kernel_y = g_rand_int_range (r, 1, 4);
  p->dim_in_x = g_rand_int_range (r, p->dim_kernel_x, 9);
  p->dim_in_y = g_rand_int_range (r, p->dim_kernel_y, 9);
  p->ch_in = g_rand_int_range (r, 1, 20);
  p->ch_out = g_rand_int_range (r, 1, 20);
  p->stride_x = g_rand_int_range (r, 1, 3);
  p->stride_y = g_rand_int_range (r, 1, 3);
  /* pads below the kernel (the pools need it; the convs take any) */
  p->pad_top = g_rand_int_range (r, 0, p->dim_kernel_y);
  p->pad_bottom = g_rand_int_range (r, 0, p->dim_kernel_y);
  p->pad_left = g_rand_int_range (r, 0, p->dim_kernel_x);
  p->pad_right = g_rand_int_range (r, 0, p->dim_kernel_x);
  sh->dim_vec = g_rand_int_range (r, 1, 300);
  sh->num_o = g_rand_int_range (r, 1, 24);
  sh->dim_x = g_rand_int_range (r, 1, 7);
  sh->dim_y = g_rand_int_range (r, 1, 7);
  sh->ch = g_rand_int_range (r, 1, 20);
  (void) f;
}

static void
test_signed_family (gconstpointer data)
{
  const FbKernelFamily f = (FbKernelFamily) GPOINTER_TO_INT (data);
  static const int32_t weighted[] = { SI, SO, SI | SO, SI | FB_KERNEL_FLAG_RELU };
  static const int32_t add[] = { SI, SI2, SO, SI | SI2, SI | SO, SI2 | SO, SI | SI2 | SO };
  static const int32_t pool[] = { 0, SI };
  static const int32_t pool_avg[] = { 0, SI, CIP, SI | CIP };
  const int32_t *sets;
  size_t n_sets, nv = 0, v, k;
  guint cases = 0, signed_values = 0;
  GRand *r = g_rand_new_with_seed (0x5167 + (guint32) f);

  switch (f)
    {
    case FB_KERNEL_FAMILY_ADD: sets = add; n_sets = G_N_ELEMENTS (add); break;
    case FB_KERNEL_FAMILY_AVGPOOL:
    case FB_KERNEL_FAMILY_MAXPOOL2D: sets = pool; n_sets = G_N_ELEMENTS (pool); break;
    case FB_KERNEL_FAMILY_AVGPOOL2D: sets = pool_avg; n_sets = G_N_ELEMENTS (pool_avg); break;
    default: sets = weighted; n_sets = G_N_ELEMENTS (weighted); break;
    }
  fb_kernel_family_variants (f, &nv);
  for (v = 0; v < nv; v++)
    for (k = 0; k < n_sets; k++)
      for (int rep = 0; rep < 6; rep++)
        {
          FbKernelBenchShape sh;
          FbKernelBenchCase c;
          random_shape (r, f, &sh);
          sh.flags = sets[k];
          /* every other conv case with weights laid out at export time (scalar builds) */
          if (f == FB_KERNEL_FAMILY_CONV && fb_kernel_arch () == FB_KERNEL_ARCH_SCALAR && rep % 2)
            sh.flags |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
          if (f == FB_KERNEL_FAMILY_LINEAR_I32)
            sh.flags &= ~SO;
          g_assert_cmpint (fb_kernel_bench_setup (&c, f, v, &sh, g_rand_int (r) | 1u), ==, 0);
          g_assert_cmpint (fb_kernel_bench_run (&c), ==, FB_KERNEL_OK);
          fb_kernel_bench_run_ref (&c);
          if (!fb_kernel_bench_matches_ref (&c))
            g_error ("%s flags 0x%x rep %d: differs from the reference", c.variant->name,
                     (unsigned) sh.flags, rep);
          /* the signed outputs really reach below zero */
          {
            size_t n_out = f == FB_KERNEL_FAMILY_LINEAR_I32
                             ? (size_t) c.shape.num_o
                             : c.output_bytes * 8 / (size_t) c.variant->out_bits;
            for (size_t i = 0; i < n_out; i++)
              signed_values += c.ref_y[i] < 0;
          }
          cases++;
          fb_kernel_bench_clear (&c);
        }
  g_test_message ("%u cases, %u negative outputs", cases, signed_values);
  g_assert_cmpuint (signed_values, >, 0);
  g_rand_free (r);
}

/* Hand-computed signed and pooling cases. */
static void
test_hand_signed (void)
{
  /* 1x1 conv, 2 input channels i8, one output channel i8: acc = -3*2 + 5*(-1) = -11;
   * kappa 1, lambda 0, shift 0 → -11; an unsigned output clips it to 0. */
  {
    const guint8 x[2] = { (guint8) -3, 5 };
    const gint8 w[2] = { 2, -1 };
    const gint32 kappa[1] = { 1 }, lambda[1] = { 0 };
    guint8 y[1], buf[4096];
    FbConvParams p = { 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, SI | SO };
    g_assert_cmpint (fb_conv_u8_u8_i8 (x, (const guint8 *) w, kappa, lambda, y, &p, buf,
                                       fb_conv_get_buffer_size (8, 8, 8, &p)), ==, FB_KERNEL_OK);
    g_assert_cmpint ((gint8) y[0], ==, -11);
    p.flag_relu = SI;
    g_assert_cmpint (fb_conv_u8_u8_i8 (x, (const guint8 *) w, kappa, lambda, y, &p, buf,
                                       fb_conv_get_buffer_size (8, 8, 8, &p)), ==, FB_KERNEL_OK);
    g_assert_cmpuint (y[0], ==, 0);
    /* i4 output clips at -8: kappa 1 shift 0 → -11 → -8 = 0x8 in the low nibble */
    p.flag_relu = SI | SO;
    p.ch_out = 2;
    {
      const gint8 w2[4] = { 2, -1, 0, 1 };   /* second channel: 5 */
      const gint32 k2[2] = { 1, 1 }, l2[2] = { 0, 0 };
      g_assert_cmpint (fb_conv_u8_u4_i8 (x, (const guint8 *) w2, k2, l2, y, &p, buf,
                                         fb_conv_get_buffer_size (8, 4, 8, &p)), ==, FB_KERNEL_OK);
      g_assert_cmphex (y[0], ==, 0x58);
    }
  }
  /* signed add: x1 = -4 (i4), x2 = 3 (u8), m1 = m2 = 1, shift 0: -1; with ReLU (unsigned
   * output) 0 */
  {
    const guint8 a[1] = { 0xCC }, b[2] = { 3, 3 };   /* two i4 elements -4, -4 */
    guint8 y[2];
    g_assert_cmpint (fb_add_u4_u8_u8 (a, b, y, 1, 1, 2, 1, 1, 0, SI | SO), ==, FB_KERNEL_OK);
    g_assert_cmpint ((gint8) y[0], ==, -1);
    g_assert_cmpint (fb_add_u4_u8_u8 (a, b, y, 1, 1, 2, 1, 1, 0, SI), ==, FB_KERNEL_OK);
    g_assert_cmpuint (y[0], ==, 0);
  }
  /* 3x3 input, one channel, i8: 2x2 windows stride 1, pad left/top 1 */
  {
    const gint8 x[9] = { -9, 2, 3, 4, -5, 6, 7, 8, -1 };
    FbConvParams p = { 3, 3, 1, 3, 3, 1, 2, 2, 1, 0, 1, 0, 1, 1, 0, SI };
    gint8 y[9];
    g_assert_cmpint (fb_maxpool2d_u8 ((const guint8 *) x, (guint8 *) y, &p), ==, FB_KERNEL_OK);
    /* window of (0,0) is x[0] alone; of (1,1) is x[0], x[1], x[3], x[4] */
    g_assert_cmpint (y[0], ==, -9);
    g_assert_cmpint (y[4], ==, 4);
    g_assert_cmpint (y[8], ==, 8);
    g_assert_cmpint (fb_avgpool2d_u8 ((const guint8 *) x, (guint8 *) y, &p), ==, FB_KERNEL_OK);
    /* (1,1): (-9 + 2 + 4 - 5) / 4 = -2; (0,1): (-9 + 2) / 2 = -3.5 → -3 (ties up) */
    g_assert_cmpint (y[4], ==, -2);
    g_assert_cmpint (y[1], ==, -3);
    p.flag_relu = SI | CIP;
    g_assert_cmpint (fb_avgpool2d_u8 ((const guint8 *) x, (guint8 *) y, &p), ==, FB_KERNEL_OK);
    /* (0,1) with the padding counted: -7 / 4 = -1.75 → -2; (0,0): -9 / 4 = -2.25 → -2 */
    g_assert_cmpint (y[1], ==, -2);
    g_assert_cmpint (y[0], ==, -2);
    /* a pad as large as the kernel leaves a window without pixels: refused */
    p.pad_top = 2;
    g_assert_cmpint (fb_maxpool2d_u8 ((const guint8 *) x, (guint8 *) y, &p), ==,
                     FB_KERNEL_ERROR_SHAPE);
  }
  /* signed global average: (-3 + -4 + 2) / 3 = -1.67 → -2 */
  {
    const gint8 x[3] = { -3, -4, 2 };
    gint8 y[1];
    g_assert_cmpint (fb_avgpool_u8 ((const guint8 *) x, (guint8 *) y, 3, 1, 1, SI), ==,
                     FB_KERNEL_OK);
    g_assert_cmpint (y[0], ==, -2);
  }
}

/* The prepared linear's constant SWAR plan table: the plan the search (below) picks, and no
 * lane carries with worst-case operands (every input and weight at an extreme, inputs long
 * enough for the longest running sums, the staging in parts and a row tail). */
typedef struct {
  int t, l, c, mode, a, b;
} TestLinSwar;

/* The HI candidates (see above), if one beats best_num / best_den instructions per MAC. */
static void
test_lin_plan_hi (int A, int W, uint32_t p, uint32_t *best_num, uint32_t *best_den,
                  TestLinSwar *sw)
{
  int t;
  if (A + W > 14)
    return;   /* 8 x 8: two products need 17 bits, T = 2 leaves L = 16 (saves the search) */
  for (t = 2; t <= 5; t++)
    {
      const int l = (32 - A - W) / (t - 1);
      uint32_t c, num, den;
      int j, ok = l >= 1 && l <= 30;
      /* the terms below the dot: (t - j) products at 2^(32 - l j), their sum < 2^32; in
       * units of 2^(32 - l): sum_j (t - j) p 2^(l - l j) < 2^l */
      if (ok)
        {
          uint32_t low = 0;
          for (j = 1; j < t && ok; j++)
            {
              const int sh = l * (j - 1);
              const uint32_t term = sh >= 32 ? 0 : ((uint32_t) (t - j) * p) >> sh;
              /* rounding the deeper terms down is made up for by the + 1 per term */
              low += term + (j > 1 ? 1u : 0u);
            }
          ok = low < (1u << l);
        }
      if (!ok)
        continue;
      c = ((1u << l) - 1u) / ((uint32_t) t * p);
      if (c == 0)
        continue;
      if (c > 4096)
        c = 4096;
      /* lw, mulhu, add per step; per chunk the low l bits (andi, or two shifts), and the
       * running sum's lw, add, sw and reset (16 rows do not fit the registers twice); c = 6
       * (u4 x i4) has the 8-row register block: the first word's mulhu writes the running
       * sum, the take-out is and + add */
      num = c == 6 ? 3 * c + 1 : 3 * c + (l <= 11 ? 6 : 7);
      den = c * (uint32_t) t;
      if (num * *best_den < *best_num * den)
        {
          *best_num = num;
          *best_den = den;
          sw->t = t;
          sw->l = l;
          sw->c = (int) c;
          sw->mode = 3;
          sw->a = 32 - l * (t - 1) - A;   /* X's last lane ends at bit 32 */
          sw->b = A;
        }
    }
}

/* The search the table was made from (fb-kernel-linear.c before the table, 32-bit arithmetic). */
static void
test_lin_plan (int A, int W, TestLinSwar *sw)
{
  const uint32_t p = ((1u << A) - 1u) * ((1u << W) - 1u);
  uint32_t best_num = 0, best_den = 1;
  int t;
  sw->t = 2;
  sw->l = 16;
  sw->c = 1;
  sw->mode = 2;
  sw->a = 0;
  sw->b = 0;
  for (t = 4; t >= 2; t--)
    {
      const int l = t == 4 ? 8 : t == 3 ? 11 : 16, top = l * (t - 1);
      uint32_t c = ((1u << (32 - top)) - 1u) / ((uint32_t) t * p), low = 0, num, den;
      int j;
      if (c == 0)
        continue;
      /* here t * p < 2^(32 - top), so low < 2^32 */
      for (j = 1; j < t; j++)
        low += (uint32_t) (t - j) * p << (top - l * j);
      if (((1u << top) - 1u) / low < c)
        c = ((1u << top) - 1u) / low;
      if (c == 0)
        continue;
      if (c > 4096)
        c = 4096;
      /* instructions per MAC: lw, mul, add per step, then per c steps srli and the running
       * sum's lw, add, sw and reset (c = 1: no running sum, lw, mul, srli, add); compared as
       * fractions num / den */
      num = c == 1 ? 4 : 3 * c + 6;
      den = c * (uint32_t) t;
      if (best_num == 0 || num * best_den < best_num * den)
        {
          best_num = num;
          best_den = den;
          sw->t = t;
          sw->l = l;
          sw->c = (int) c;
          sw->mode = c == 1 ? 1 : 0;
        }
    }
  test_lin_plan_hi (A, W, p, &best_num, &best_den, sw);
}


static void
test_linear_plans (void)
{
  static const int bits[3] = { 2, 4, 8 };
  int ia, iw, k;
  for (ia = 0; ia < 3; ia++)
    for (iw = 0; iw < 3; iw++)
      {
        const int A = bits[ia], W = bits[iw];
        const gint32 dim_vec = 3000, num_o = 21;
        gint32 plan[6], i, o;
        TestLinSwar s;
        g_autofree gint32 *x = g_new (gint32, dim_vec), *w = g_new (gint32, dim_vec * num_o);
        g_autofree gint32 *y = g_new (gint32, num_o), *got = g_new (gint32, num_o);
        g_autofree guint8 *in = g_malloc0 (packed_len (dim_vec, A));
        g_autofree guint8 *wp = NULL, *prep = NULL, *buf = NULL;
        const gsize rb = packed_len (dim_vec, W);
        gsize np, bs;

        g_assert_cmpint (fb_linear_swar_plan (A, W, plan), ==, 0);
        test_lin_plan (A, W, &s);
        g_assert_cmpint (plan[0], ==, s.t);
        g_assert_cmpint (plan[1], ==, s.l);
        g_assert_cmpint (plan[2], ==, s.c);
        g_assert_cmpint (plan[3], ==, s.mode);
        g_assert_cmpint (plan[4], ==, s.a);
        g_assert_cmpint (plan[5], ==, s.b);

        np = fb_linear_prepared_weights_size (A, 32, W, dim_vec, num_o);
        prep = g_malloc (np);
        wp = g_malloc0 (rb * num_o);
        bs = fb_linear_get_buffer_size (A, 32, W, dim_vec, num_o);
        buf = g_malloc (bs);
        for (k = 0; k < 2; k++)   /* all inputs at the maximum; then alternating max / 0 */
          {
            for (i = 0; i < dim_vec; i++)
              x[i] = k == 0 || i % 2 == 0 ? (1 << A) - 1 : 0;
            /* rows: all max, all min, alternating, the same with a min every 3rd, ... */
            for (o = 0; o < num_o; o++)
              for (i = 0; i < dim_vec; i++)
                {
                  const gint32 hi = (1 << (W - 1)) - 1, lo = -(1 << (W - 1));
                  gint32 v;
                  switch (o % 4)
                    {
                    case 0: v = hi; break;
                    case 1: v = lo; break;
                    case 2: v = i % 2 ? hi : lo; break;
                    default: v = i % 3 ? lo : hi; break;
                    }
                  w[(gsize) o * dim_vec + i] = v;
                }
            pack_bits (x, dim_vec, A, in);
            for (o = 0; o < num_o; o++)
              pack_bits (w + (gsize) o * dim_vec, dim_vec, W, wp + (gsize) o * rb);
            g_assert_cmpint (fb_linear_prepare_weights (A, 32, W, dim_vec, num_o, wp, prep), ==,
                             FB_KERNEL_OK);
            g_assert_cmpint (fb_linear_i32_lookup (A, W) (in, prep, NULL, got, dim_vec, num_o,
                                                           FB_KERNEL_FLAG_PREPARED_WEIGHTS, buf, bs),
                             ==, FB_KERNEL_OK);
            fb_ref_linear_i32 (x, w, NULL, y, dim_vec, num_o, 0);
            for (o = 0; o < num_o; o++)
              g_assert_cmpint (got[o], ==, y[o]);
          }
      }
}

static void
add_signed_family (FbKernelFamily f)
{
  char *path = g_strdup_printf ("/kernels/%s/signed/%s", arch_name, fb_kernel_family_name (f));
  g_test_add_data_func (path, GINT_TO_POINTER (f), test_signed_family);
  g_free (path);
}

/* ------------------------------------------------------------------------------------------ */

static void
add_variant (const char *family, int a, int o, int w, GTestDataFunc fn)
{
  Bits *b = g_new (Bits, 1);   /* freed by GTest when the test suite is freed */
  char *path;
  b->a = a;
  b->o = o;
  b->w = w;
  if (g_str_equal (family, "linear_i32"))
    path = g_strdup_printf ("/kernels/%s/%s/u%d_i32_i%d", arch_name, family, a, w);
  else if (g_str_equal (family, "add"))
    path = g_strdup_printf ("/kernels/%s/%s/u%d_u%d_u%d", arch_name, family, a, w, o);
  else if (g_str_equal (family, "avgpool"))
    path = g_strdup_printf ("/kernels/%s/%s/u%d", arch_name, family, a);
  else
    path = g_strdup_printf ("/kernels/%s/%s/u%d_u%d_i%d", arch_name, family, a, o, w);
  g_test_add_data_func_full (path, b, fn, g_free);
  g_free (path);
}

static void
add_simple (const char *name, GTestFunc fn)
{
  char *path = g_strdup_printf ("/kernels/%s/%s", arch_name, name);
  g_test_add_func (path, fn);
  g_free (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  arch_name = fb_kernel_arch () == FB_KERNEL_ARCH_HOST ? "host" : "scalar";

  add_simple ("pack/explicit", test_pack_explicit);
  add_simple ("pack/roundtrip", test_pack_roundtrip);
  add_simple ("pack/errors", test_pack_errors);
  add_simple ("hand/conv", test_hand_conv);
  add_simple ("hand/conv-packed", test_hand_conv_packed);
  add_simple ("hand/requant", test_hand_requant);
  add_simple ("hand/linear-i32", test_hand_linear_i32);
  add_simple ("linear-int32-saturation", test_linear_int32_saturation);
  add_simple ("linear-plans", test_linear_plans);
  add_simple ("hand/depthwise", test_hand_depthwise);
  add_simple ("hand/add-pool", test_hand_add_pool);
  add_simple ("avgpool-reciprocal", test_avgpool_reciprocal);
  add_simple ("invalid/conv-depthwise", test_invalid_conv);
  add_simple ("invalid/linear-add-pool", test_invalid_linear_add_pool);
  add_simple ("dispatch", test_dispatch);
  add_simple ("code-path", test_code_path);
  add_simple ("hand/signed-and-pools", test_hand_signed);
  add_simple ("conv-t3-worst", test_conv_t3_worst);
  for (int f = 0; f < FB_KERNEL_N_FAMILIES; f++)
    add_signed_family ((FbKernelFamily) f);

  /* one test case per variant per family, from the X-macro list */
#define REG_CONV(i, o, w) add_variant ("conv", i, o, w, test_conv_random);
#define REG_DW(i, o, w) add_variant ("depthwise", i, o, w, test_depthwise_random);
#define REG_LIN(i, o, w) add_variant ("linear", i, o, w, test_linear_random);
#define REG_LIN32(i, w) add_variant ("linear_i32", i, 32, w, test_linear_i32_random);
#define REG_ADD(a, b, o) add_variant ("add", a, o, b, test_add_random);
#define REG_POOL(b) add_variant ("avgpool", b, b, 0, test_avgpool_random);
  FB_KERNEL_VARIANTS_IOW (REG_CONV)
  FB_KERNEL_VARIANTS_IOW (REG_DW)
  FB_KERNEL_VARIANTS_IOW (REG_LIN)
  FB_KERNEL_VARIANTS_IW (REG_LIN32)
  FB_KERNEL_VARIANTS_ADD (REG_ADD)
  FB_KERNEL_VARIANTS_POOL (REG_POOL)

  return g_test_run ();
}
