/* fb-fake-quant.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "fb-fake-quant.h"

/* floor(v + ½) for v ≥ 0 by truncation: floorf is a libm call unless the
 * compiler may assume SSE4.1, and these loops run over every activation of
 * every pass. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__ELF__)
#define FB_FQ_CLONES __attribute__ ((target_clones ("default", "avx2", "arch=x86-64-v4")))
#define FB_FQ_REDUCE __attribute__ ((target_clones ("default", "avx2", "arch=x86-64-v4"), \
                                     optimize ("associative-math", "no-signed-zeros", "no-trapping-math")))
#else
#define FB_FQ_CLONES
#define FB_FQ_REDUCE
#endif

static inline float
round_half_up_nonneg (float v)
{
  return (float) (gint32) (v + 0.5f);
}

int
fb_fake_quant_bits_index (guint bits)
{
  return bits == 8 ? 0 : bits == 4 ? 1 : bits == 2 ? 2 : -1;
}

guint
fb_fake_quant_index_bits (guint index)
{
  static const guint bits[3] = { 8, 4, 2 };
  g_return_val_if_fail (index < 3, 8);
  return bits[index];
}

FB_FQ_CLONES void
fb_fake_quant_act_forward (gsize n, const float *x, float alpha, guint bits, float *y)
{
  float qmax = (float) ((1u << bits) - 1);
  float s = alpha / qmax, inv = qmax / alpha;

  for (gsize k = 0; k < n; k++)
    {
      float v = x[k] * inv;
      v = MAX (v, 0.0f);
      v = MIN (v, qmax);
      y[k] = round_half_up_nonneg (v) * s;
    }
}

/* Branch-free, and the reduction reassociated (float partial sums per
 * block of 1024, added up in double), so it vectorizes: this runs over every
 * activation of every pass. */
FB_FQ_REDUCE double
fb_fake_quant_act_backward (gsize n, const float *x, float alpha, guint bits, const float *dy,
                            float *dx)
{
  float qmax = (float) ((1u << bits) - 1);
  float inv = qmax / alpha;
  double ds = 0.0;

  /* d(s·q)/ds: q − x/s inside [0, qmax·s], qmax above, 0 below; α = qmax·s. */
  for (gsize k0 = 0; k0 < n; k0 += 1024)
    {
      gsize end = MIN (n, k0 + 1024);
      float acc = 0.0f;
      for (gsize k = k0; k < end; k++)
        {
          float v = x[k] * inv, g = dy[k];
          float r = round_half_up_nonneg (MIN (MAX (v, 0.0f), qmax));
          float in = (float) ((v >= 0.0f) & (v <= qmax));
          float hi = (float) (v > qmax) * qmax;
          acc += g * (hi + in * (r - v));
          dx[k] = g * in;
        }
      ds += acc;
    }
  return ds / qmax;
}

/* The three branches in one pass over x (the mixed pass of the
 * differentiable search runs them on every activation of every step). */
FB_FQ_CLONES void
fb_fake_quant_act_mix_forward (gsize n, const float *x, const float alpha[3], const float p[3], float *y)
{
  float qmax[3], inv[3], ps[3];

  for (guint b = 0; b < 3; b++)
    {
      qmax[b] = (float) ((1u << fb_fake_quant_index_bits (b)) - 1);
      inv[b] = qmax[b] / alpha[b];
      ps[b] = p[b] * (alpha[b] / qmax[b]);
    }
  for (gsize k = 0; k < n; k++)
    {
      float acc = 0.0f;
      for (guint b = 0; b < 3; b++)
        {
          float v = MIN (MAX (x[k] * inv[b], 0.0f), qmax[b]);
          acc += round_half_up_nonneg (v) * ps[b];
        }
      y[k] = acc;
    }
}

/* Eight elements at a time in GCC/clang vector types: a single float
 * accumulator is a serial chain the compiler may not reorder, so
 * fb_fake_quant_act_mix_backward keeps eight partial sums per branch (one per
 * lane, added in lane order at the end of each block of 1024). The order is
 * fixed: results do not depend on the machine or the thread count. */
typedef float  FbV8f __attribute__ ((vector_size (32)));
typedef gint32 FbV8i __attribute__ ((vector_size (32)));

/* a where mask is set (all ones), else b; a macro, as vector arguments
 * change the ABI where AVX is off. */
#define FB_V8_SELECT(mask, a, b) ((FbV8f) (((FbV8i) (a) & (mask)) | ((FbV8i) (b) & ~(mask))))

static inline void
mix_backward_v8 (const float *x, const float *dy, const float inv[3], const float qmax[3], const float s[3],
                 const float p[3], float *dx, FbV8f acc[3])
{
  FbV8f xv, g, d = { 0 }, zero = { 0 };
  memcpy (&xv, x, sizeof xv);
  memcpy (&g, dy, sizeof g);
  for (guint b = 0; b < 3; b++)
    {
      FbV8f v = xv * inv[b], q = zero + qmax[b], c, r;
      FbV8i in = (v >= 0.0f) & (v <= q);
      c = FB_V8_SELECT (v > 0.0f, v, zero);
      c = FB_V8_SELECT (c < q, c, q);
      r = __builtin_convertvector (__builtin_convertvector (c + 0.5f, FbV8i), FbV8f);
      acc[b] += g * (r * s[b]);
      d += p[b] * __builtin_convertvector (-in, FbV8f);
    }
  g = g * d;
  memcpy (dx, &g, sizeof g);
}

FB_FQ_CLONES void
fb_fake_quant_act_mix_backward (gsize n, const float *x, const float alpha[3], const float p[3],
                                const float *dy, float *dx, double gp[3])
{
  float qmax[3], inv[3], s[3];

  for (guint b = 0; b < 3; b++)
    {
      qmax[b] = (float) ((1u << fb_fake_quant_index_bits (b)) - 1);
      inv[b] = qmax[b] / alpha[b];
      s[b] = alpha[b] / qmax[b];
    }
  for (gsize k0 = 0; k0 < n; k0 += 1024)
    {
      gsize end = MIN (n, k0 + 1024);
      FbV8f acc[3] = { { 0 }, { 0 }, { 0 } };
      gsize k = k0;

      for (; k + 8 <= end; k += 8)
        mix_backward_v8 (x + k, dy + k, inv, qmax, s, p, dx + k, acc);
      for (; k < end; k++)
        {
          float g = dy[k], d = 0.0f;
          for (guint b = 0; b < 3; b++)
            {
              float v = x[k] * inv[b];
              float in = (float) ((v >= 0.0f) & (v <= qmax[b]));
              acc[b][0] += g * (round_half_up_nonneg (MIN (MAX (v, 0.0f), qmax[b])) * s[b]);
              d += p[b] * in;
            }
          dx[k] = g * d;
        }
      for (guint b = 0; b < 3; b++)
        {
          float sum = 0.0f;
          for (guint l = 0; l < 8; l++)
            sum += acc[b][l];
          gp[b] += sum;
        }
    }
}

void
fb_fake_quant_round_forward (gsize n, const float *x, float step, float *y)
{
  float inv = 1.0f / step;
  for (gsize k = 0; k < n; k++)
    y[k] = round_half_up_nonneg (MAX (x[k] * inv, 0.0f)) * step;
}

double
fb_fake_quant_round_backward (gsize n, const float *x, float step, const float *dy)
{
  float inv = 1.0f / step;
  double ds = 0.0;
  for (gsize k = 0; k < n; k++)
    {
      float v = x[k] * inv;
      ds += (double) dy[k] * (round_half_up_nonneg (MAX (v, 0.0f)) - v);
    }
  return ds;
}

/* Round half up, then clip to [qmin, qmax] (qmin ≥ −128). */
static inline float
wq_level (float v, float qmin, float qmax)
{
  v = v < qmin ? qmin : v > qmax ? qmax : v;
  return round_half_up_nonneg (v - qmin) + qmin;
}

void
fb_fake_quant_weights_forward (guint outer, guint n_ch, guint inner, const float *w,
                               const float *step, guint bits, float *wq)
{
  float qmax = (float) ((1 << (bits - 1)) - 1), qmin = -(float) (1 << (bits - 1));

  for (guint o = 0; o < outer; o++)
    for (guint c = 0; c < n_ch; c++)
      {
        gsize base = ((gsize) o * n_ch + c) * inner;
        float s = step[c], inv = 1.0f / s;
        for (guint i = 0; i < inner; i++)
          wq[base + i] = wq_level (w[base + i] * inv, qmin, qmax) * s;
      }
}

void
fb_fake_quant_weights_backward (guint outer, guint n_ch, guint inner, const float *w,
                                const float *step, guint bits, const float *dwq, float *dw,
                                float *dstep)
{
  float qmax = (float) ((1 << (bits - 1)) - 1), qmin = -(float) (1 << (bits - 1));

  for (guint o = 0; o < outer; o++)
    for (guint c = 0; c < n_ch; c++)
      {
        gsize base = ((gsize) o * n_ch + c) * inner;
        float s = step[c], inv = 1.0f / s;
        double ds = 0.0;
        for (guint i = 0; i < inner; i++)
          {
            float v = w[base + i] * inv, g = dwq[base + i];
            if (v < qmin)
              ds += (double) g * qmin;
            else if (v > qmax)
              ds += (double) g * qmax;
            else
              {
                ds += (double) g * (wq_level (v, qmin, qmax) - v);
                dw[base + i] += g;
              }
          }
        dstep[c] += (float) ds;
      }
}

void
fb_fake_quant_weights_init_step (guint outer, guint n_ch, guint inner, const float *w, guint bits,
                                 float *step)
{
  float qmax = (float) ((1 << (bits - 1)) - 1), qmin = -(float) (1 << (bits - 1));
  enum { GRID = 100 };

  for (guint c = 0; c < n_ch; c++)
    {
      float amax = 0.0f, best_s;
      double best = INFINITY;

      for (guint o = 0; o < outer; o++)
        for (guint i = 0; i < inner; i++)
          amax = MAX (amax, fabsf (w[((gsize) o * n_ch + c) * inner + i]));
      if (amax == 0.0f)
        {
          /* A dead channel: any positive step quantizes it to 0. */
          step[c] = 1e-3f;
          continue;
        }
      best_s = amax / qmax;
      for (guint k = 1; k <= GRID; k++)
        {
          float s = amax / qmax * (float) k / GRID, inv = 1.0f / s;
          double err = 0.0;
          for (guint o = 0; o < outer; o++)
            for (guint i = 0; i < inner; i++)
              {
                float x = w[((gsize) o * n_ch + c) * inner + i];
                float d = x - wq_level (x * inv, qmin, qmax) * s;
                err += (double) d * d;
              }
          if (err < best)
            {
              best = err;
              best_s = s;
            }
        }
      step[c] = best_s;
    }
}

void
fb_fake_quant_hist_add (FbFakeQuantHist *hist, gsize n, const float *x)
{
  double scale = FB_FAKE_QUANT_HIST_BINS / hist->range;

  for (gsize k = 0; k < n; k++)
    {
      double b = x[k] * scale;
      guint bin = b <= 0 ? 0 : b >= FB_FAKE_QUANT_HIST_BINS ? FB_FAKE_QUANT_HIST_BINS - 1 : (guint) b;
      hist->count[bin] += 1.0;
    }
}

float
fb_fake_quant_hist_best_alpha (const FbFakeQuantHist *hist, guint bits)
{
  double qmax = (double) ((1u << bits) - 1), width = hist->range / FB_FAKE_QUANT_HIST_BINS;
  double best = INFINITY, best_alpha = hist->range;
  enum { GRID = 200 };

  for (guint k = 1; k <= GRID; k++)
    {
      double alpha = hist->range * k / GRID, s = alpha / qmax, err = 0.0;
      for (guint b = 0; b < FB_FAKE_QUANT_HIST_BINS; b++)
        {
          double v, q, d;
          if (hist->count[b] == 0.0)
            continue;
          v = (b + 0.5) * width;
          q = floor (v / s + 0.5);
          q = q > qmax ? qmax : q;
          d = v - q * s;
          err += hist->count[b] * d * d;
        }
      if (err < best)
        {
          best = err;
          best_alpha = alpha;
        }
    }
  return (float) best_alpha;
}

/* ---- signed activations -------------------------------------------------- */

guint
fb_fake_quant_act_levels (guint bits, gboolean is_signed)
{
  return is_signed ? (1u << (bits - 1)) - 1 : (1u << bits) - 1;
}

static inline float
signed_level (float v, float qmin, float qmax)
{
  return floorf (MIN (MAX (v, qmin), qmax) + 0.5f);
}

void
fb_fake_quant_act_signed_forward (gsize n, const float *x, float alpha, guint bits, float *y)
{
  float qmax = (float) fb_fake_quant_act_levels (bits, TRUE), qmin = -qmax - 1.0f;
  float s = alpha / qmax, inv = qmax / alpha;

  for (gsize k = 0; k < n; k++)
    y[k] = MIN (signed_level (x[k] * inv, qmin, qmax), qmax) * s;
}

double
fb_fake_quant_act_signed_backward (gsize n, const float *x, float alpha, guint bits, const float *dy,
                                   float *dx)
{
  float qmax = (float) fb_fake_quant_act_levels (bits, TRUE), qmin = -qmax - 1.0f;
  float inv = qmax / alpha;
  double ds = 0.0;

  for (gsize k = 0; k < n; k++)
    {
      float v = x[k] * inv, g = dy[k];
      if (v < qmin)
        ds += (double) g * qmin, dx[k] = 0.0f;
      else if (v > qmax)
        ds += (double) g * qmax, dx[k] = 0.0f;
      else
        ds += (double) g * (MIN (signed_level (v, qmin, qmax), qmax) - v), dx[k] = g;
    }
  return ds / qmax;
}

void
fb_fake_quant_act_signed_mix_forward (gsize n, const float *x, const float alpha[3], const float p[3], float *y)
{
  for (gsize k = 0; k < n; k++)
    {
      float acc = 0.0f;
      for (guint b = 0; b < 3; b++)
        {
          float qmax = (float) fb_fake_quant_act_levels (fb_fake_quant_index_bits (b), TRUE);
          if (p[b] != 0.0f)
            acc += p[b] * MIN (signed_level (x[k] * qmax / alpha[b], -qmax - 1.0f, qmax), qmax) * (alpha[b] / qmax);
        }
      y[k] = acc;
    }
}

void
fb_fake_quant_act_signed_mix_backward (gsize n, const float *x, const float alpha[3], const float p[3],
                                       const float *dy, float *dx, double gp[3])
{
  for (gsize k = 0; k < n; k++)
    {
      float g = dy[k], d = 0.0f;
      for (guint b = 0; b < 3; b++)
        {
          float qmax = (float) fb_fake_quant_act_levels (fb_fake_quant_index_bits (b), TRUE);
          float v = x[k] * qmax / alpha[b];
          if (p[b] == 0.0f)
            continue;
          gp[b] += (double) g * MIN (signed_level (v, -qmax - 1.0f, qmax), qmax) * (alpha[b] / qmax);
          if (v >= -qmax - 1.0f && v <= qmax)
            d += p[b];
        }
      dx[k] = g * d;
    }
}

void
fb_fake_quant_hist_add_abs (FbFakeQuantHist *hist, gsize n, const float *x)
{
  double scale = FB_FAKE_QUANT_HIST_BINS / hist->range;

  for (gsize k = 0; k < n; k++)
    {
      double b = fabsf (x[k]) * scale;
      guint bin = b >= FB_FAKE_QUANT_HIST_BINS ? FB_FAKE_QUANT_HIST_BINS - 1 : (guint) b;
      hist->count[bin] += 1.0;
    }
}
