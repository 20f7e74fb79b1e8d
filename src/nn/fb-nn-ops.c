/* fb-nn-ops.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "fb-nn-ops.h"

/* im2col works on chunks of about this many floats, so the column buffer
 * stays in L2 while the GEMM consumes it. */
#define IM2COL_CHUNK_FLOATS 65536

/* Hot elementwise loops are compiled for AVX2 and AVX-512 as well and
 * picked at load time (ifunc), so the binary stays portable. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define FB_NN_CLONES __attribute__ ((target_clones ("default", "avx2", "arch=x86-64-v4")))
#else
#define FB_NN_CLONES
#endif

guint
fb_nn_threads_init (void)
{
  static gsize once = 0;
  static guint n = 1;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("FB_NN_THREADS");
      /* Callers parallelize over shards of the batch; a GEMM inside must then
       * be serial, or OpenBLAS's own pool would fight ours for the cores. */
      openblas_set_num_threads (1);
      n = env != NULL && atoi (env) > 0 ? (guint) atoi (env) : g_get_num_processors ();
      g_once_init_leave (&once, 1);
    }
  return n;
}

const char *
fb_nn_float_backend (void)
{
  static gsize once = 0;
  static char *name;

  if (g_once_init_enter (&once))
    {
      const char *loops = "baseline";
      const char *core = openblas_get_corename ();
      g_autofree char *c = g_strstrip (g_strdup (core != NULL ? core : "unknown"));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
      /* The same order as the target_clones resolver's priority. */
      __builtin_cpu_init ();
      if (__builtin_cpu_supports ("x86-64-v4"))
        loops = "x86-64-v4";
      else if (__builtin_cpu_supports ("avx2"))
        loops = "avx2";
#endif
      name = g_strdup_printf ("OpenBLAS %s, loops %s", c, loops);
      g_once_init_leave (&once, 1);
    }
  return name;
}

gboolean
fb_nn_run_chunks (GFunc func, gpointer job, guint n, guint chunk, guint n_threads, GError **error)
{
  GThreadPool *pool = g_thread_pool_new (func, job, (gint) (n_threads > 0 ? n_threads : fb_nn_threads_init ()),
                                         FALSE, error);

  if (pool == NULL)
    return FALSE;
  for (guint i = 0; i < n; i += chunk)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);   /* waits for every chunk */
  return TRUE;
}

/* ---- convolution geometry ------------------------------------------------ */

void
fb_nn_conv_init (FbNnConv *g, guint n, guint h, guint w, guint cin, guint cout,
                 guint kh, guint kw, guint sh, guint sw,
                 guint pad_top, guint pad_bottom, guint pad_left, guint pad_right)
{
  g->n = n;
  g->h = h;
  g->w = w;
  g->cin = cin;
  g->cout = cout;
  g->kh = kh;
  g->kw = kw;
  g->sh = sh;
  g->sw = sw;
  g->pad_top = pad_top;
  g->pad_left = pad_left;
  g->ho = (h + pad_top + pad_bottom - kh) / sh + 1;
  g->wo = (w + pad_left + pad_right - kw) / sw + 1;
}

gboolean
fb_nn_conv_is_pointwise (const FbNnConv *g)
{
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 &&
         g->pad_top == 0 && g->pad_left == 0 && g->ho == g->h && g->wo == g->w;
}

static guint
im2col_chunk_images (const FbNnConv *g)
{
  gsize per_image = (gsize) g->ho * g->wo * g->kh * g->kw * g->cin;
  gsize chunk = IM2COL_CHUNK_FLOATS / MAX (per_image, 1);
  return (guint) CLAMP (chunk, 1, MAX (g->n, 1));
}

/* Convolutions with a tiny receptive field (the first layer: 3×3×1) make
 * GEMMs with K = 9 that OpenBLAS runs far below peak, and an im2col that
 * copies single floats. Computed directly instead, vectorized over Cout
 * with the weights transposed to [Ky][Kx][Cin][Cout]. */
#define DIRECT_MAX_K 32

static gboolean
conv_is_direct (const FbNnConv *g)
{
  return !fb_nn_conv_is_pointwise (g) && g->kh * g->kw * g->cin <= DIRECT_MAX_K;
}

gsize
fb_nn_conv2d_scratch_size (const FbNnConv *g)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;

  if (fb_nn_conv_is_pointwise (g) || conv_is_direct (g))
    return 0;
  return (gsize) im2col_chunk_images (g) * g->ho * g->wo * k;
}

/* The input row under output row @oy and kernel row @ky; FALSE where it is
 * padding. */
static inline gboolean
tap_row (const FbNnConv *g, guint oy, guint ky, int *iy)
{
  *iy = (int) (oy * g->sh + ky) - (int) g->pad_top;
  return *iy >= 0 && *iy < (int) g->h;
}

/* The input pixel (index of its channel vector) under output pixel
 * (@n, @oy, @ox) and kernel tap (@ky, @kx); FALSE where the tap is padding. */
static inline gboolean
input_pixel (const FbNnConv *g, guint n, guint oy, guint ox, guint ky, guint kx, gsize *pixel)
{
  int iy;
  int ix = (int) (ox * g->sw + kx) - (int) g->pad_left;

  if (!tap_row (g, oy, ky, &iy) || ix < 0 || ix >= (int) g->w)
    return FALSE;
  *pixel = ((gsize) n * g->h + iy) * g->w + ix;
  return TRUE;
}

/* Rows of images [n0, n1) as im2col columns: row (n, oy, ox) holds the
 * receptive field in [ky][kx][cin] order, the order of a weight row, with
 * zeros for padding. */
static void
im2col (const FbNnConv *g, const float *x, guint n0, guint n1, float *cols)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;
  float *row = cols;

  for (guint n = n0; n < n1; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++, row += k)
        {
          float *dst = row;
          for (guint ky = 0; ky < g->kh; ky++)
            for (guint kx = 0; kx < g->kw; kx++, dst += g->cin)
              {
                gsize px;
                if (input_pixel (g, n, oy, ox, ky, kx, &px))
                  memcpy (dst, x + px * g->cin, g->cin * sizeof (float));
                else
                  memset (dst, 0, g->cin * sizeof (float));
              }
        }
}

/* The adjoint of im2col: adds each column entry back onto its input pixel. */
static void
col2im_add (const FbNnConv *g, const float *cols, guint n0, guint n1, float *dx)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;
  const float *row = cols;

  for (guint n = n0; n < n1; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++, row += k)
        {
          const float *src = row;
          for (guint ky = 0; ky < g->kh; ky++)
            for (guint kx = 0; kx < g->kw; kx++, src += g->cin)
              {
                gsize px;
                if (!input_pixel (g, n, oy, ox, ky, kx, &px))
                  continue;
                float *d = dx + px * g->cin;
                for (guint c = 0; c < g->cin; c++)
                  d[c] += src[c];
              }
        }
}

static void
transpose_weights (const FbNnConv *g, const float *w, float *wt)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;
  for (guint o = 0; o < g->cout; o++)
    for (gsize j = 0; j < k; j++)
      wt[j * g->cout + o] = w[o * k + j];
}

/* 16 output channels as one value: GCC maps it onto one AVX-512 register,
 * two AVX2 or four SSE registers, so the accumulators stay in registers
 * while the taps are summed. */
typedef float FbV16 __attribute__ ((vector_size (64)));

/* Unaligned loads and stores; macros, because passing a 64-byte vector by
 * value has a different ABI with and without AVX-512. */
#define V16_LOAD(v, p)  memcpy (&(v), (p), sizeof (FbV16))
#define V16_STORE(p, v) memcpy ((p), &(v), sizeof (FbV16))

/* Valid kernel taps [k0, k1) for an output whose window starts at input
 * offset @i0 of a dimension of @size. */
static inline void
valid_taps (int i0, guint k, guint size, guint *k0, guint *k1)
{
  *k0 = i0 < 0 ? (guint) MIN (-i0, (int) k) : 0;
  *k1 = i0 + (int) k > (int) size ? (guint) MAX ((int) size - i0, (int) *k0) : k;
}

FB_NN_CLONES static void
conv_direct_forward (const FbNnConv *g, const float *x, const float *wt, float *y)
{
  guint co = g->cout, ci_n = g->cin;

  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      {
        int iy0 = (int) (oy * g->sh) - (int) g->pad_top;
        guint ky0, ky1;
        valid_taps (iy0, g->kh, g->h, &ky0, &ky1);
        for (guint ox = 0; ox < g->wo; ox++)
          {
            float *yp = y + (((gsize) n * g->ho + oy) * g->wo + ox) * co;
            int ix0 = (int) (ox * g->sw) - (int) g->pad_left;
            guint kx0, kx1, o0 = 0;
            valid_taps (ix0, g->kw, g->w, &kx0, &kx1);
            for (; o0 + 16 <= co; o0 += 16)
              {
                FbV16 acc = { 0 };
                for (guint ky = ky0; ky < ky1; ky++)
                  for (guint kx = kx0; kx < kx1; kx++)
                    {
                      const float *xp = x + (((gsize) n * g->h + (gsize) (iy0 + (int) ky)) * g->w +
                                             (gsize) (ix0 + (int) kx)) * ci_n;
                      const float *wr = wt + ((gsize) ky * g->kw + kx) * ci_n * co + o0;
                      for (guint ci = 0; ci < ci_n; ci++)
                        {
                          FbV16 wv;
                          V16_LOAD (wv, wr + (gsize) ci * co);
                          acc += xp[ci] * wv;
                        }
                    }
                V16_STORE (yp + o0, acc);
              }
            for (; o0 < co; o0++)
              {
                float acc = 0.0f;
                for (guint ky = ky0; ky < ky1; ky++)
                  for (guint kx = kx0; kx < kx1; kx++)
                    {
                      const float *xp = x + (((gsize) n * g->h + (gsize) (iy0 + (int) ky)) * g->w +
                                             (gsize) (ix0 + (int) kx)) * ci_n;
                      const float *wr = wt + ((gsize) ky * g->kw + kx) * ci_n * co + o0;
                      for (guint ci = 0; ci < ci_n; ci++)
                        acc += xp[ci] * wr[(gsize) ci * co];
                    }
                yp[o0] = acc;
              }
          }
      }
}

/* @dwt: [Ky][Kx][Cin][Cout] gradient, zeroed by the caller. */
FB_NN_CLONES static void
conv_direct_backward (const FbNnConv *g, const float *x, const float *wt, const float *dy,
                      float *dwt, float *dx)
{
  guint co = g->cout, ci_n = g->cin;
  gsize k = (gsize) g->kh * g->kw * ci_n;
  FbV16 acc[DIRECT_MAX_K];

  for (guint o0 = 0; o0 < co; o0 += 16)
    {
      guint nb = MIN (16, co - o0);
      float tail[16] = { 0 };

      memset (acc, 0, sizeof acc);
      for (guint n = 0; n < g->n; n++)
        for (guint oy = 0; oy < g->ho; oy++)
          {
            int iy0 = (int) (oy * g->sh) - (int) g->pad_top;
            guint ky0, ky1;
            valid_taps (iy0, g->kh, g->h, &ky0, &ky1);
            for (guint ox = 0; ox < g->wo; ox++)
              {
                const float *dyp = dy + (((gsize) n * g->ho + oy) * g->wo + ox) * co + o0;
                int ix0 = (int) (ox * g->sw) - (int) g->pad_left;
                guint kx0, kx1;
                FbV16 d;
                valid_taps (ix0, g->kw, g->w, &kx0, &kx1);
                /* A partial last block reads through a zero-padded copy. */
                if (nb == 16)
                  V16_LOAD (d, dyp);
                else
                  {
                    memcpy (tail, dyp, nb * sizeof (float));
                    V16_LOAD (d, tail);
                  }
                for (guint ky = ky0; ky < ky1; ky++)
                  for (guint kx = kx0; kx < kx1; kx++)
                    {
                      gsize xo = (((gsize) n * g->h + (gsize) (iy0 + (int) ky)) * g->w +
                                  (gsize) (ix0 + (int) kx)) * ci_n;
                      gsize t = ((gsize) ky * g->kw + kx) * ci_n;
                      for (guint ci = 0; ci < ci_n; ci++)
                        acc[t + ci] += x[xo + ci] * d;
                      if (dx != NULL)
                        for (guint ci = 0; ci < ci_n; ci++)
                          {
                            const float *wc = wt + (t + ci) * co + o0;
                            float s = 0.0f;
                            for (guint o = 0; o < nb; o++)
                              s += dyp[o] * wc[o];
                            dx[xo + ci] += s;
                          }
                    }
              }
          }
      for (gsize j = 0; j < k; j++)
        {
          float out[16];
          V16_STORE (out, acc[j]);
          for (guint o = 0; o < nb; o++)
            dwt[j * co + o0 + o] += out[o];
        }
    }
}

void
fb_nn_conv2d_forward (const FbNnConv *g, const float *x, const float *w, float *y, float *scratch)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;
  gsize rows_per_image = (gsize) g->ho * g->wo;
  guint chunk = im2col_chunk_images (g);

  if (conv_is_direct (g))
    {
      g_autofree float *wt = g_new (float, (gsize) g->cout * k);
      transpose_weights (g, w, wt);
      conv_direct_forward (g, x, wt, y);
      return;
    }
  if (fb_nn_conv_is_pointwise (g))
    {
      /* NHWC makes a 1×1 conv one GEMM on the activations as they are. */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   (int) (g->n * rows_per_image), (int) g->cout, (int) k,
                   1.0f, x, (int) k, w, (int) k, 0.0f, y, (int) g->cout);
      return;
    }
  for (guint n0 = 0; n0 < g->n; n0 += chunk)
    {
      guint n1 = MIN (n0 + chunk, g->n);
      im2col (g, x, n0, n1, scratch);
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   (int) ((n1 - n0) * rows_per_image), (int) g->cout, (int) k,
                   1.0f, scratch, (int) k, w, (int) k,
                   0.0f, y + n0 * rows_per_image * g->cout, (int) g->cout);
    }
}

void
fb_nn_conv2d_backward (const FbNnConv *g, const float *x, const float *w, const float *dy,
                       float *dw, float *dx, float *scratch)
{
  gsize k = (gsize) g->kh * g->kw * g->cin;
  gsize rows_per_image = (gsize) g->ho * g->wo;
  guint chunk = im2col_chunk_images (g);

  if (conv_is_direct (g))
    {
      g_autofree float *wt = g_new (float, (gsize) g->cout * k);
      g_autofree float *dwt = g_new0 (float, (gsize) g->cout * k);
      transpose_weights (g, w, wt);
      conv_direct_backward (g, x, wt, dy, dwt, dx);
      for (guint o = 0; o < g->cout; o++)
        for (gsize j = 0; j < k; j++)
          dw[o * k + j] += dwt[j * g->cout + o];
      return;
    }
  if (fb_nn_conv_is_pointwise (g))
    {
      int rows = (int) (g->n * rows_per_image);
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) g->cout, (int) k, rows,
                   1.0f, dy, (int) g->cout, x, (int) k, 1.0f, dw, (int) k);
      if (dx != NULL)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int) k, (int) g->cout,
                     1.0f, dy, (int) g->cout, w, (int) k, 1.0f, dx, (int) k);
      return;
    }
  for (guint n0 = 0; n0 < g->n; n0 += chunk)
    {
      guint n1 = MIN (n0 + chunk, g->n);
      int rows = (int) ((n1 - n0) * rows_per_image);
      const float *dy_c = dy + n0 * rows_per_image * g->cout;
      /* Recomputing the columns is cheaper than keeping them for every layer. */
      im2col (g, x, n0, n1, scratch);
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) g->cout, (int) k, rows,
                   1.0f, dy_c, (int) g->cout, scratch, (int) k, 1.0f, dw, (int) k);
      if (dx != NULL)
        {
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, (int) k, (int) g->cout,
                       1.0f, dy_c, (int) g->cout, w, (int) k, 0.0f, scratch, (int) k);
          col2im_add (g, scratch, n0, n1, dx);
        }
    }
}

/* ---- depthwise convolution ----------------------------------------------- */

/* Any stride: one output pixel at a time, vectorized over channels. */
FB_NN_CLONES static void
depthwise_forward_pixels (const FbNnConv *g, const float *x, const float *w, float *y)
{
  guint c = g->cout;

  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          float *restrict yp = y + (((gsize) n * g->ho + oy) * g->wo + ox) * c;
          memset (yp, 0, c * sizeof (float));
          for (guint ky = 0; ky < g->kh; ky++)
            for (guint kx = 0; kx < g->kw; kx++)
              {
                gsize px;
                if (!input_pixel (g, n, oy, ox, ky, kx, &px))
                  continue;
                const float *restrict xp = x + px * c;
                const float *restrict wp = w + ((gsize) ky * g->kw + kx) * c;
                for (guint i = 0; i < c; i++)
                  yp[i] += xp[i] * wp[i];
              }
        }
}

/* One kernel tap of the depthwise backward over @len floats: the weight
 * gradient dy·x and, unless @dx is NULL, the input gradient dy·w. Always
 * inlined so each target clone of its callers vectorizes it for its ISA. */
static inline __attribute__ ((always_inline)) void
depthwise_tap_backward (gsize len, const float *restrict dy, const float *restrict x,
                        const float *restrict w, float *restrict dw, float *restrict dx)
{
  for (gsize j = 0; j < len; j++)
    dw[j] += dy[j] * x[j];
  if (dx != NULL)
    for (gsize j = 0; j < len; j++)
      dx[j] += dy[j] * w[j];
}

FB_NN_CLONES static void
depthwise_backward_pixels (const FbNnConv *g, const float *x, const float *w, const float *dy,
                           float *dw, float *dx)
{
  guint c = g->cout;

  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          const float *restrict dyp = dy + (((gsize) n * g->ho + oy) * g->wo + ox) * c;
          for (guint ky = 0; ky < g->kh; ky++)
            for (guint kx = 0; kx < g->kw; kx++)
              {
                gsize px;
                if (!input_pixel (g, n, oy, ox, ky, kx, &px))
                  continue;
                gsize tap = ((gsize) ky * g->kw + kx) * c;
                depthwise_tap_backward (c, dyp, x + px * c, w + tap, dw + tap,
                                        dx != NULL ? dx + px * c : NULL);
              }
        }
}

/* Horizontal stride 1: an output row and the input row under one kernel
 * tap overlap as two contiguous runs of (pixels × C) floats, so each tap is
 * one long vectorized loop instead of one short loop per pixel. The tap's
 * C weights are tiled along the row (@wt: taps × Wo·C) to match. */
static void
tile_weights (const FbNnConv *g, const float *w, float *wt)
{
  gsize row = (gsize) g->wo * g->cout;

  for (guint t = 0; t < g->kh * g->kw; t++)
    for (guint ox = 0; ox < g->wo; ox++)
      memcpy (wt + t * row + (gsize) ox * g->cout, w + (gsize) t * g->cout, g->cout * sizeof (float));
}

/* Output columns [lo, hi) whose input column ox + kx − pad_left exists. */
static gboolean
tap_columns (const FbNnConv *g, guint kx, guint *lo, guint *hi, int *off)
{
  *off = (int) kx - (int) g->pad_left;
  *lo = *off < 0 ? (guint) -*off : 0;
  *hi = (int) g->w - *off <= 0 ? 0 : MIN (g->wo, (guint) ((int) g->w - *off));
  return *lo < *hi;
}

FB_NN_CLONES static void
depthwise_forward_rows (const FbNnConv *g, const float *x, const float *wt, float *y)
{
  guint c = g->cout;
  gsize row = (gsize) g->wo * c;

  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      {
        float *yr = y + ((gsize) n * g->ho + oy) * row;
        memset (yr, 0, row * sizeof (float));
        for (guint ky = 0; ky < g->kh; ky++)
          {
            int iy;
            if (!tap_row (g, oy, ky, &iy))
              continue;
            const float *xr = x + ((gsize) n * g->h + iy) * g->w * c;
            for (guint kx = 0; kx < g->kw; kx++)
              {
                guint lo, hi;
                int off;
                if (!tap_columns (g, kx, &lo, &hi, &off))
                  continue;
                const float *restrict xs = xr + (gsize) ((int) lo + off) * c;
                const float *restrict ws = wt + ((gsize) ky * g->kw + kx) * row + (gsize) lo * c;
                float *restrict ys = yr + (gsize) lo * c;
                gsize len = (gsize) (hi - lo) * c;
                for (gsize j = 0; j < len; j++)
                  ys[j] += xs[j] * ws[j];
              }
          }
      }
}

/* @dwt (taps × Wo·C, zeroed) collects weight gradients per output column;
 * the caller folds the columns. */
FB_NN_CLONES static void
depthwise_backward_rows (const FbNnConv *g, const float *x, const float *wt, const float *dy,
                         float *dwt, float *dx)
{
  guint c = g->cout;
  gsize row = (gsize) g->wo * c;

  for (guint n = 0; n < g->n; n++)
    for (guint oy = 0; oy < g->ho; oy++)
      {
        const float *dyr = dy + ((gsize) n * g->ho + oy) * row;
        for (guint ky = 0; ky < g->kh; ky++)
          {
            int iy;
            if (!tap_row (g, oy, ky, &iy))
              continue;
            gsize xrow = ((gsize) n * g->h + iy) * g->w * c;
            for (guint kx = 0; kx < g->kw; kx++)
              {
                guint lo, hi;
                int off;
                if (!tap_columns (g, kx, &lo, &hi, &off))
                  continue;
                gsize xoff = xrow + (gsize) ((int) lo + off) * c;
                gsize toff = ((gsize) ky * g->kw + kx) * row + (gsize) lo * c;
                depthwise_tap_backward ((gsize) (hi - lo) * c, dyr + (gsize) lo * c, x + xoff,
                                        wt + toff, dwt + toff, dx != NULL ? dx + xoff : NULL);
              }
          }
      }
}

void
fb_nn_depthwise_forward (const FbNnConv *g, const float *x, const float *w, float *y)
{
  g_return_if_fail (g->cin == g->cout);
  if (g->sw != 1)
    {
      depthwise_forward_pixels (g, x, w, y);
      return;
    }
  g_autofree float *wt = g_new (float, (gsize) g->kh * g->kw * g->wo * g->cout);
  tile_weights (g, w, wt);
  depthwise_forward_rows (g, x, wt, y);
}

void
fb_nn_depthwise_backward (const FbNnConv *g, const float *x, const float *w, const float *dy,
                          float *dw, float *dx)
{
  gsize row = (gsize) g->wo * g->cout, taps = (gsize) g->kh * g->kw;

  g_return_if_fail (g->cin == g->cout);
  if (g->sw != 1)
    {
      depthwise_backward_pixels (g, x, w, dy, dw, dx);
      return;
    }
  g_autofree float *wt = g_new (float, taps * row);
  g_autofree float *dwt = g_new0 (float, taps * row);
  tile_weights (g, w, wt);
  depthwise_backward_rows (g, x, wt, dy, dwt, dx);
  for (gsize t = 0; t < taps; t++)
    for (guint ox = 0; ox < g->wo; ox++)
      for (guint i = 0; i < g->cout; i++)
        dw[t * g->cout + i] += dwt[t * row + (gsize) ox * g->cout + i];
}

/* ---- batch norm ---------------------------------------------------------- */

/* Channel reductions add float partial sums over blocks of this many rows
 * into double totals: float accumulators keep the loops vectorized, and
 * doubles keep 100 000-row sums exact enough. */
#define SUM_BLOCK_ROWS 64

/* Per-channel Σx and Σx²; @part holds 2c floats of scratch. */
FB_NN_CLONES static void
bn_sums (guint m, guint c, const float *restrict x, double *restrict s1, double *restrict s2,
         float *restrict part)
{
  float *restrict p1 = part, *restrict p2 = part + c;

  for (guint r0 = 0; r0 < m; r0 += SUM_BLOCK_ROWS)
    {
      guint r1 = MIN (r0 + SUM_BLOCK_ROWS, m);
      memset (part, 0, 2 * (gsize) c * sizeof (float));
      for (guint r = r0; r < r1; r++)
        {
          const float *restrict xr = x + (gsize) r * c;
          for (guint i = 0; i < c; i++)
            {
              p1[i] += xr[i];
              p2[i] += xr[i] * xr[i];
            }
        }
      for (guint i = 0; i < c; i++)
        {
          s1[i] += p1[i];
          s2[i] += p2[i];
        }
    }
}

FB_NN_CLONES static void
affine (guint m, guint c, const float *x, const float *scale, const float *shift, gboolean relu,
        float *y)
{
  for (guint r = 0; r < m; r++)
    {
      const float *restrict xr = x + (gsize) r * c;
      float *restrict yr = y + (gsize) r * c;
      if (relu)
        for (guint i = 0; i < c; i++)
          {
            float v = xr[i] * scale[i] + shift[i];
            yr[i] = v > 0.0f ? v : 0.0f;
          }
      else
        for (guint i = 0; i < c; i++)
          yr[i] = xr[i] * scale[i] + shift[i];
    }
}

void
fb_nn_batch_norm_train_forward (guint m, guint c, const float *x, const float *gamma,
                                const float *beta, gboolean relu, float *y, float *mean,
                                float *var)
{
  g_autofree double *acc = g_new0 (double, 2 * (gsize) c);
  g_autofree float *part = g_new (float, 2 * (gsize) c);
  g_autofree float *scale = g_new (float, c);
  g_autofree float *shift = g_new (float, c);

  bn_sums (m, c, x, acc, acc + c, part);
  for (guint i = 0; i < c; i++)
    {
      double mu = acc[i] / m;
      /* E[x²] − μ² in double: conv outputs are near zero-mean, so the
       * cancellation stays far below float resolution. */
      double v = MAX (acc[c + i] / m - mu * mu, 0.0);
      mean[i] = (float) mu;
      var[i] = (float) v;
      scale[i] = (float) (gamma[i] / sqrt (v + FB_NN_BN_EPS));
      shift[i] = (float) (beta[i] - mu * scale[i]);
    }
  affine (m, c, x, scale, shift, relu, y);
}

void
fb_nn_batch_norm_eval_forward (guint m, guint c, const float *x, const float *gamma,
                               const float *beta, const float *running_mean,
                               const float *running_var, gboolean relu, float *y)
{
  g_autofree float *scale = g_new (float, c);
  g_autofree float *shift = g_new (float, c);

  for (guint i = 0; i < c; i++)
    {
      scale[i] = gamma[i] / sqrtf (running_var[i] + FB_NN_BN_EPS);
      shift[i] = beta[i] - running_mean[i] * scale[i];
    }
  affine (m, c, x, scale, shift, relu, y);
}

/* Σ g and Σ g·(x − μ) per channel, g = dy masked by the ReLU (y > 0);
 * @part holds 2c floats of scratch. */
FB_NN_CLONES static void
bn_backward_sums (guint m, guint c, const float *restrict x, const float *restrict y,
                  const float *restrict mean, gboolean relu, const float *restrict dy,
                  double *restrict sg, double *restrict sgx, float *restrict part)
{
  float *restrict pg = part, *restrict pgx = part + c;

  for (guint r0 = 0; r0 < m; r0 += SUM_BLOCK_ROWS)
    {
      guint r1 = MIN (r0 + SUM_BLOCK_ROWS, m);
      memset (part, 0, 2 * (gsize) c * sizeof (float));
      for (guint r = r0; r < r1; r++)
        {
          const float *restrict xr = x + (gsize) r * c;
          const float *restrict yr = y + (gsize) r * c;
          const float *restrict dyr = dy + (gsize) r * c;
          if (relu)
            for (guint i = 0; i < c; i++)
              {
                float g = yr[i] > 0.0f ? dyr[i] : 0.0f;
                pg[i] += g;
                pgx[i] += g * (xr[i] - mean[i]);
              }
          else
            for (guint i = 0; i < c; i++)
              {
                pg[i] += dyr[i];
                pgx[i] += dyr[i] * (xr[i] - mean[i]);
              }
        }
      for (guint i = 0; i < c; i++)
        {
          sg[i] += pg[i];
          sgx[i] += pgx[i];
        }
    }
}

/* dx = γ·σ⁻¹·(g − mean(g) − x̂·mean(g·x̂)); no restrict: dx may alias dy. */
FB_NN_CLONES static void
bn_backward_rows (guint m, guint c, const float *x, const float *y, const float *mean,
                  const float *invstd, const float *k1, const float *k2, const float *k3,
                  gboolean relu, const float *dy, float *dx)
{
  for (guint r = 0; r < m; r++)
    {
      const float *xr = x + (gsize) r * c;
      const float *yr = y + (gsize) r * c;
      const float *dyr = dy + (gsize) r * c;
      float *dxr = dx + (gsize) r * c;
      for (guint i = 0; i < c; i++)
        {
          float g = relu && yr[i] <= 0.0f ? 0.0f : dyr[i];
          float xhat = (xr[i] - mean[i]) * invstd[i];
          dxr[i] = k1[i] * g - k2[i] - k3[i] * xhat;
        }
    }
}

void
fb_nn_batch_norm_backward (guint m, guint c, const float *x, const float *y, const float *gamma,
                           const float *mean, const float *var, gboolean relu, const float *dy,
                           float *dx, float *dgamma, float *dbeta)
{
  g_autofree double *acc = g_new0 (double, 2 * (gsize) c);
  g_autofree float *part = g_new (float, 2 * (gsize) c);
  g_autofree float *invstd = g_new (float, c);
  g_autofree float *k = g_new (float, 3 * (gsize) c);

  for (guint i = 0; i < c; i++)
    invstd[i] = (float) (1.0 / sqrt ((double) var[i] + FB_NN_BN_EPS));
  bn_backward_sums (m, c, x, y, mean, relu, dy, acc, acc + c, part);
  for (guint i = 0; i < c; i++)
    {
      /* Σ g·x̂ = σ⁻¹ Σ g·(x − μ) */
      double sg = acc[i], sgx = acc[c + i] * invstd[i];
      dbeta[i] += (float) sg;
      dgamma[i] += (float) sgx;
      k[i] = gamma[i] * invstd[i];
      k[c + i] = (float) (k[i] * sg / m);
      k[2 * c + i] = (float) (k[i] * sgx / m);
    }
  bn_backward_rows (m, c, x, y, mean, invstd, k, k + c, k + 2 * c, relu, dy, dx);
}

/* ---- elementwise ----------------------------------------------------------- */

void
fb_nn_relu_forward (gsize n, const float *x, float *y)
{
  for (gsize i = 0; i < n; i++)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
fb_nn_relu_backward (gsize n, const float *y, const float *dy, float *dx)
{
  for (gsize i = 0; i < n; i++)
    if (y[i] > 0.0f)
      dx[i] += dy[i];
}

void
fb_nn_add_forward (gsize n, const float *a, const float *b, gboolean relu, float *y)
{
  for (gsize i = 0; i < n; i++)
    {
      float v = a[i] + b[i];
      y[i] = relu && v < 0.0f ? 0.0f : v;
    }
}

void
fb_nn_add_backward (gsize n, const float *y, gboolean relu, const float *dy, float *da, float *db)
{
  for (gsize i = 0; i < n; i++)
    {
      float g = relu && y[i] <= 0.0f ? 0.0f : dy[i];
      if (da != NULL)
        da[i] += g;
      if (db != NULL)
        db[i] += g;
    }
}

void
fb_nn_global_avg_pool_forward (guint n, guint hw, guint c, const float *x, float *y)
{
  float inv = 1.0f / (float) hw;

  for (guint b = 0; b < n; b++)
    {
      float *restrict yb = y + (gsize) b * c;
      memset (yb, 0, c * sizeof (float));
      for (guint p = 0; p < hw; p++)
        {
          const float *restrict xp = x + ((gsize) b * hw + p) * c;
          for (guint i = 0; i < c; i++)
            yb[i] += xp[i];
        }
      for (guint i = 0; i < c; i++)
        yb[i] *= inv;
    }
}

void
fb_nn_global_avg_pool_backward (guint n, guint hw, guint c, const float *dy, float *dx)
{
  float inv = 1.0f / (float) hw;

  for (guint b = 0; b < n; b++)
    for (guint p = 0; p < hw; p++)
      {
        const float *restrict dyb = dy + (gsize) b * c;
        float *restrict dxp = dx + ((gsize) b * hw + p) * c;
        for (guint i = 0; i < c; i++)
          dxp[i] += dyb[i] * inv;
      }
}

/* ---- linear and loss ------------------------------------------------------- */

void
fb_nn_linear_forward (guint n, guint cin, guint cout, const float *x, const float *w,
                      const float *b, float *y)
{
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) n, (int) cout, (int) cin,
               1.0f, x, (int) cin, w, (int) cin, 0.0f, y, (int) cout);
  if (b != NULL)
    for (guint r = 0; r < n; r++)
      for (guint o = 0; o < cout; o++)
        y[(gsize) r * cout + o] += b[o];
}

void
fb_nn_linear_backward (guint n, guint cin, guint cout, const float *x, const float *w,
                       const float *dy, float *dw, float *db, float *dx)
{
  cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) cout, (int) cin, (int) n,
               1.0f, dy, (int) cout, x, (int) cin, 1.0f, dw, (int) cin);
  if (db != NULL)
    for (guint r = 0; r < n; r++)
      for (guint o = 0; o < cout; o++)
        db[o] += dy[(gsize) r * cout + o];
  if (dx != NULL)
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) n, (int) cin, (int) cout,
                 1.0f, dy, (int) cout, w, (int) cin, 1.0f, dx, (int) cin);
}

double
fb_nn_softmax_cross_entropy (guint n, guint k, const float *logits, const guint8 *labels,
                             float *dlogits, guint *correct)
{
  double total = 0.0;
  guint right = 0;

  for (guint r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * k;
      double mx = z[0], sum = 0.0;
      guint arg = 0;

      for (guint i = 1; i < k; i++)
        if (z[i] > mx)
          {
            mx = z[i];
            arg = i;
          }
      right += arg == labels[r];
      for (guint i = 0; i < k; i++)
        sum += exp (z[i] - mx);
      total += log (sum) - (z[labels[r]] - mx);
      if (dlogits != NULL)
        for (guint i = 0; i < k; i++)
          {
            double p = exp (z[i] - mx) / sum;
            dlogits[(gsize) r * k + i] = (float) ((p - (i == labels[r])) / n);
          }
    }
  if (correct != NULL)
    *correct = right;
  return n > 0 ? total / n : 0.0;
}

double
fb_nn_soft_cross_entropy (guint n, guint k, const float *logits, const float *targets,
                          float *dlogits)
{
  double total = 0.0;

  for (guint r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * k, *t = targets + (gsize) r * k;
      double mx = z[0], sum = 0.0, lse;

      for (guint i = 1; i < k; i++)
        mx = MAX (mx, z[i]);
      for (guint i = 0; i < k; i++)
        sum += exp (z[i] - mx);
      lse = log (sum) + mx;
      for (guint i = 0; i < k; i++)
        {
          total -= t[i] * (z[i] - lse);
          if (dlogits != NULL)
            dlogits[(gsize) r * k + i] = (float) ((exp (z[i] - lse) - t[i]) / n);
        }
    }
  return n > 0 ? total / n : 0.0;
}

void
fb_nn_softmax (guint n, guint k, const float *logits, float *p)
{
  for (guint r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * k;
      double mx = z[0], sum = 0.0;

      for (guint i = 1; i < k; i++)
        mx = MAX (mx, z[i]);
      for (guint i = 0; i < k; i++)
        sum += exp (z[i] - mx);
      for (guint i = 0; i < k; i++)
        p[(gsize) r * k + i] = (float) (exp (z[i] - mx) / sum);
    }
}

/* ---- windowed pools ------------------------------------------------------ */

/* The input rows/columns window (oy, ox) covers, clipped to the input, and
 * the window's size clipped to the padded input (count_include_pad's divisor). */
typedef struct {
  int y0, y1, x0, x1;
  guint padded_area;
} PoolWindow;

static void
pool_window (const FbNnConv *g, guint oy, guint ox, PoolWindow *win)
{
  int ty = (int) (oy * g->sh) - (int) g->pad_top, tx = (int) (ox * g->sw) - (int) g->pad_left;
  int pad_bottom = (int) ((g->ho - 1) * g->sh + g->kh) - (int) g->h - (int) g->pad_top;
  int pad_right = (int) ((g->wo - 1) * g->sw + g->kw) - (int) g->w - (int) g->pad_left;
  int py1 = MIN (ty + (int) g->kh, (int) g->h + MAX (pad_bottom, 0));
  int px1 = MIN (tx + (int) g->kw, (int) g->w + MAX (pad_right, 0));

  win->y0 = MAX (ty, 0);
  win->x0 = MAX (tx, 0);
  win->y1 = MIN (ty + (int) g->kh, (int) g->h);
  win->x1 = MIN (tx + (int) g->kw, (int) g->w);
  win->padded_area = (guint) ((py1 - ty) * (px1 - tx));
}

void
fb_nn_avg_pool2d_forward (const FbNnConv *g, gboolean count_include_pad, const float *x, float *y)
{
  guint c = g->cin;

  for (guint b = 0; b < g->n; b++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          float *restrict yp = y + (((gsize) b * g->ho + oy) * g->wo + ox) * c;
          PoolWindow win;
          float inv;

          pool_window (g, oy, ox, &win);
          memset (yp, 0, c * sizeof (float));
          for (int iy = win.y0; iy < win.y1; iy++)
            for (int ix = win.x0; ix < win.x1; ix++)
              {
                const float *restrict xp = x + (((gsize) b * g->h + iy) * g->w + ix) * c;
                for (guint i = 0; i < c; i++)
                  yp[i] += xp[i];
              }
          inv = 1.0f / (float) (count_include_pad ? win.padded_area
                                                  : (guint) ((win.y1 - win.y0) * (win.x1 - win.x0)));
          for (guint i = 0; i < c; i++)
            yp[i] *= inv;
        }
}

void
fb_nn_avg_pool2d_backward (const FbNnConv *g, gboolean count_include_pad, const float *dy, float *dx)
{
  guint c = g->cin;

  for (guint b = 0; b < g->n; b++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          const float *restrict dyp = dy + (((gsize) b * g->ho + oy) * g->wo + ox) * c;
          PoolWindow win;
          float inv;

          pool_window (g, oy, ox, &win);
          inv = 1.0f / (float) (count_include_pad ? win.padded_area
                                                  : (guint) ((win.y1 - win.y0) * (win.x1 - win.x0)));
          for (int iy = win.y0; iy < win.y1; iy++)
            for (int ix = win.x0; ix < win.x1; ix++)
              {
                float *restrict dxp = dx + (((gsize) b * g->h + iy) * g->w + ix) * c;
                for (guint i = 0; i < c; i++)
                  dxp[i] += dyp[i] * inv;
              }
        }
}

void
fb_nn_max_pool2d_forward (const FbNnConv *g, const float *x, float *y)
{
  guint c = g->cin;

  for (guint b = 0; b < g->n; b++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          float *restrict yp = y + (((gsize) b * g->ho + oy) * g->wo + ox) * c;
          PoolWindow win;

          pool_window (g, oy, ox, &win);
          for (guint i = 0; i < c; i++)
            yp[i] = -INFINITY;
          for (int iy = win.y0; iy < win.y1; iy++)
            for (int ix = win.x0; ix < win.x1; ix++)
              {
                const float *restrict xp = x + (((gsize) b * g->h + iy) * g->w + ix) * c;
                for (guint i = 0; i < c; i++)
                  yp[i] = MAX (yp[i], xp[i]);
              }
        }
}

void
fb_nn_max_pool2d_backward (const FbNnConv *g, const float *x, const float *y, const float *dy, float *dx)
{
  guint c = g->cin;

  for (guint b = 0; b < g->n; b++)
    for (guint oy = 0; oy < g->ho; oy++)
      for (guint ox = 0; ox < g->wo; ox++)
        {
          gsize o = (((gsize) b * g->ho + oy) * g->wo + ox) * c;
          PoolWindow win;

          pool_window (g, oy, ox, &win);
          for (guint i = 0; i < c; i++)
            {
              gboolean done = FALSE;
              for (int iy = win.y0; iy < win.y1 && !done; iy++)
                for (int ix = win.x0; ix < win.x1 && !done; ix++)
                  {
                    gsize k = (((gsize) b * g->h + iy) * g->w + ix) * c + i;
                    if (x[k] == y[o + i])
                      {
                        dx[k] += dy[o + i];
                        done = TRUE;
                      }
                  }
            }
        }
}

double
fb_nn_mse (guint n, guint k, const float *y, const float *targets, float *dy)
{
  gsize total = (gsize) n * k;
  double sum = 0.0;

  for (gsize i = 0; i < total; i++)
    {
      double d = (double) y[i] - targets[i];
      sum += d * d;
      if (dy != NULL)
        dy[i] = (float) (2.0 * d / total);
    }
  return total > 0 ? sum / total : 0.0;
}
