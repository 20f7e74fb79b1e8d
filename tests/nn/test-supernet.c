/* test-supernet.c — quantization-aware training: fake-quant ops against
 * numerical gradients, grid values, config sampling (packing rules and
 * sandwich), supernet smoke run, resume, fake-quant evaluation, batch-norm
 * recalibration.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-error.h"
#include "fb-fake-quant.h"
#include "fb-nn-ops.h"
#include "fb-nn-test-util.h"
#include "fb-supernet.h"
#include "fb-trainer.h"

/* ---- fake-quant ops ------------------------------------------------------- */

static void
fill_uniform (GRand *rand, float *x, gsize n, double lo, double hi)
{
  for (gsize k = 0; k < n; k++)
    x[k] = (float) g_rand_double_range (rand, lo, hi);
}

/* Values of x/s near a rounding boundary make the loss jump under a finite
 * difference; keep them away (the STE gradient is only defined between). */
static gboolean
near_boundary (float v)
{
  float f = v - floorf (v);
  return fabsf (f - 0.5f) < 0.05f;
}

/* Activation fake quantization: dx is the STE (dy inside [0, α], 0
 * outside) and dL/dα is LSQ's. The true derivative of y in α exists
 * between rounding boundaries: 1 above α (y = α), 0 below 0, q/qmax inside
 * (y = α·q/qmax with the level q fixed). LSQ's estimate equals it minus the
 * STE's x/s term inside: (q − x/s)/qmax. Check against finite differences. */
static void
test_act_gradients (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  enum { N = 400 };
  float x[N], y[N], c[N], dx[N], yp[N], ym[N];

  for (guint bits = 8; bits >= 2; bits /= 2)
    {
      float alpha = bits == 2 ? 1.3f : 2.1f, h = alpha * 1e-4f;
      guint qmax = (1u << bits) - 1;
      double dalpha, num = 0.0;

      fill_uniform (rand, c, N, -1, 1);
      for (guint k = 0; k < N; k++)
        do
          x[k] = (float) g_rand_double_range (rand, -0.2, 1.3 * alpha);
        while (near_boundary (x[k] * qmax / alpha) || fabsf (x[k] - alpha) < 0.05f * alpha);
      fb_fake_quant_act_forward (N, x, alpha, bits, y);
      dalpha = fb_fake_quant_act_backward (N, x, alpha, bits, c, dx);
      fb_fake_quant_act_forward (N, x, alpha + h, bits, yp);
      fb_fake_quant_act_forward (N, x, alpha - h, bits, ym);

      for (guint k = 0; k < N; k++)
        {
          gboolean inside = x[k] >= 0 && x[k] <= alpha;
          g_assert_cmpfloat (dx[k], ==, inside ? c[k] : 0.0f);
          num += c[k] * ((double) yp[k] - ym[k]) / (2.0 * h);
          if (inside)
            num -= c[k] * (x[k] / alpha);   /* the STE term (x/s)/qmax */
        }
      g_assert_cmpfloat (fabs (dalpha - num), <, 2e-2 * MAX (1.0, fabs (num)));
    }
}

/* The mixed activation's backward (vectorized, partial sums per lane): dx =
 * Σ_b p[b]·[0 ≤ x ≤ α_b]·dy exactly, and dL/dp[b] = Σ dy·Q_b(x), where Q_b
 * is fb_fake_quant_act_forward's output — summed here in double. Sizes that
 * end inside a vector and inside a block of 1024 included. */
static void
test_act_mix_backward (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  static const gsize sizes[] = { 1, 7, 8, 13, 1024, 1029, 3001 };
  const float alpha[3] = { 2.5f, 1.9f, 1.2f }, p[3] = { 0.5f, 0.3f, 0.2f };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize n = sizes[i];
      g_autofree float *x = g_new (float, n), *dy = g_new (float, n), *dx = g_new (float, n);
      g_autofree float *q = g_new (float, n);
      double gp[3] = { 0.25, 0.0, -1.0 }, want[3] = { 0.25, 0.0, -1.0 };

      fill_uniform (rand, x, n, -0.5, 3.0);
      fill_uniform (rand, dy, n, -1, 1);
      for (guint b = 0; b < 3; b++)
        {
          fb_fake_quant_act_forward (n, x, alpha[b], fb_fake_quant_index_bits (b), q);
          for (gsize k = 0; k < n; k++)
            want[b] += (double) dy[k] * q[k];
        }
      fb_fake_quant_act_mix_backward (n, x, alpha, p, dy, dx, gp);
      for (gsize k = 0; k < n; k++)
        {
          float d = 0.0f;
          for (guint b = 0; b < 3; b++)
            d += p[b] * (float) (x[k] * ((float) ((1u << fb_fake_quant_index_bits (b)) - 1) / alpha[b]) >= 0.0f &&
                                 x[k] * ((float) ((1u << fb_fake_quant_index_bits (b)) - 1) / alpha[b])
                                   <= (float) ((1u << fb_fake_quant_index_bits (b)) - 1));
          g_assert_cmpfloat (dx[k], ==, dy[k] * d);
        }
      for (guint b = 0; b < 3; b++)
        g_assert_cmpfloat (fabs (gp[b] - want[b]), <, 1e-4 * MAX (1.0, sqrt ((double) n)));
    }
}

/* Between rounding boundaries the output levels are constant in x, and the
 * STE's dx (= dy) is the derivative of the identity it stands for; what is
 * exactly checkable numerically is the dependence on the step: with the
 * integer levels q fixed, wq = s·q, so dwq/ds = q (inside) — LSQ's formula
 * minus the STE's x/s term. Check the full LSQ gradient term by term. */
static void
test_weight_gradients (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  enum { OUTER = 3, CH = 4, INNER = 5, N = OUTER * CH * INNER };
  float w[N], wq[N], c[N], dw[N], step[CH], dstep[CH];

  for (guint bits = 8; bits >= 2; bits /= 2)
    {
      float qmax = (float) ((1 << (bits - 1)) - 1), qmin = -(float) (1 << (bits - 1));

      fill_uniform (rand, c, N, -1, 1);
      for (guint ch = 0; ch < CH; ch++)
        step[ch] = (float) g_rand_double_range (rand, 0.05, 0.2) / (bits == 8 ? 20 : 1);
      for (guint o = 0; o < OUTER; o++)
        for (guint ch = 0; ch < CH; ch++)
          for (guint i = 0; i < INNER; i++)
            {
              gsize k = ((gsize) o * CH + ch) * INNER + i;
              do
                w[k] = (float) g_rand_double_range (rand, (qmin - 1.5) * step[ch], (qmax + 1.5) * step[ch]);
              while (near_boundary (w[k] / step[ch]));
            }
      memset (dw, 0, sizeof dw);
      memset (dstep, 0, sizeof dstep);
      fb_fake_quant_weights_forward (OUTER, CH, INNER, w, step, bits, wq);
      fb_fake_quant_weights_backward (OUTER, CH, INNER, w, step, bits, c, dw, dstep);

      for (guint o = 0; o < OUTER; o++)
        for (guint ch = 0; ch < CH; ch++)
          {
            for (guint i = 0; i < INNER; i++)
              {
                gsize k = ((gsize) o * CH + ch) * INNER + i;
                float v = w[k] / step[ch];
                /* Grid values only. */
                float q = wq[k] / step[ch];
                g_assert_cmpfloat (fabsf (q - roundf (q)), <, 1e-4f);
                g_assert_cmpfloat (q, >=, qmin);
                g_assert_cmpfloat (q, <=, qmax);
                /* STE inside, 0 where clipped. */
                g_assert_cmpfloat (dw[k], ==, (v >= qmin && v <= qmax) ? c[k] : 0.0f);
              }
          }
      /* Step gradient: the clipped elements' part is the true derivative;
       * perturb the step and compare with the levels held by the forward. */
      for (guint ch = 0; ch < CH; ch++)
        {
          double lsq = 0.0, h = step[ch] * 1e-4;
          float sp[CH], sm[CH], wp[N], wm[N];
          double num = 0.0, scale = 0.0;
          for (guint o = 0; o < OUTER; o++)
            for (guint i = 0; i < INNER; i++)
              {
                gsize k = ((gsize) o * CH + ch) * INNER + i;
                float v = w[k] / step[ch];
                lsq += c[k] * (v < qmin ? qmin : v > qmax ? qmax : roundf (v) - v);
              }
          g_assert_cmpfloat (fabs (dstep[ch] - lsq), <, 1e-4 * MAX (1.0, fabs (lsq)));
          /* Finite difference: the output of a step change small enough to
           * cross no rounding boundary is s·q with q fixed, dwq/ds = q; the
           * LSQ gradient differs from it by the STE term −Σ c·v inside. */
          memcpy (sp, step, sizeof sp);
          memcpy (sm, step, sizeof sm);
          sp[ch] += (float) h;
          sm[ch] -= (float) h;
          fb_fake_quant_weights_forward (OUTER, CH, INNER, w, sp, bits, wp);
          fb_fake_quant_weights_forward (OUTER, CH, INNER, w, sm, bits, wm);
          for (guint o = 0; o < OUTER; o++)
            for (guint i = 0; i < INNER; i++)
              {
                gsize k = ((gsize) o * CH + ch) * INNER + i;
                float v = w[k] / step[ch];
                num += c[k] * (wp[k] - wm[k]) / (sp[ch] - sm[ch]);
                scale += fabsf (c[k]) * (fabsf (v) + 1.0f);
                if (v >= qmin && v <= qmax)
                  num -= c[k] * v;
              }
          /* Float rounding of the finite difference grows with |w/s|. */
          g_assert_cmpfloat (fabs (dstep[ch] - num), <, 2e-3 * scale);
        }
    }
}

static void
test_act_grid_values (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  enum { N = 1000 };
  float x[N], y[N];

  fill_uniform (rand, x, N, -1, 5);
  for (guint bits = 8; bits >= 2; bits /= 2)
    {
      float alpha = 3.0f, s = alpha / ((1u << bits) - 1);
      guint seen[256] = { 0 }, distinct = 0;
      fb_fake_quant_act_forward (N, x, alpha, bits, y);
      for (guint k = 0; k < N; k++)
        {
          float q = y[k] / s;
          g_assert_cmpfloat (fabsf (q - roundf (q)), <, 1e-3f);
          g_assert_cmpfloat (roundf (q), >=, 0);
          g_assert_cmpfloat (roundf (q), <=, (1u << bits) - 1);
          /* Round half up: the nearest level. */
          g_assert_cmpfloat (fabsf (y[k] - CLAMP (x[k], 0.0f, alpha)), <=, s / 2 + 1e-5f);
          if (seen[(guint) roundf (q)]++ == 0)
            distinct++;
        }
      g_assert_cmpuint (distinct, <=, 1u << bits);
      if (bits == 2)
        g_assert_cmpuint (distinct, ==, 4);
    }
}

/* Signed activations: levels on the symmetric grid [−2^(b−1), 2^(b−1) − 1]
 * of step α / (2^(b−1) − 1), the nearest one (half up), the ends clipped. */
static void
test_act_signed_grid_values (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  enum { N = 1000 };
  float x[N], y[N];

  fill_uniform (rand, x, N, -5, 5);
  for (guint bits = 8; bits >= 2; bits /= 2)
    {
      float alpha = 3.0f, qmax = (float) ((1u << (bits - 1)) - 1), s = alpha / qmax;
      gboolean seen_min = FALSE;
      fb_fake_quant_act_signed_forward (N, x, alpha, bits, y);
      for (guint k = 0; k < N; k++)
        {
          float q = y[k] / s;
          g_assert_cmpfloat (fabsf (q - roundf (q)), <, 1e-3f);
          g_assert_cmpfloat (roundf (q), >=, -qmax - 1);
          g_assert_cmpfloat (roundf (q), <=, qmax);
          g_assert_cmpfloat (fabsf (y[k] - CLAMP (x[k], (-qmax - 1) * s, alpha)), <=, s / 2 + 1e-5f);
          seen_min |= roundf (q) == -qmax - 1;
        }
      g_assert_true (seen_min);   /* the extra negative level is used */
    }
  {
    /* Half up on the negative side too: −0.5 s → 0, −1.5 s → −1 (floor(v + ½)). */
    float h[2] = { -0.5f, -1.5f }, out[2];
    fb_fake_quant_act_signed_forward (2, h, 127.0f, 8, out);
    g_assert_cmpfloat (out[0], ==, 0.0f);
    g_assert_cmpfloat (out[1], ==, -1.0f);
  }
}

/* Signed gradients: STE inside [−(qmax+1)·s, α], LSQ's dL/dα checked against
 * finite differences as for unsigned tensors. */
static void
test_act_signed_gradients (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (19);
  enum { N = 400 };
  float x[N], y[N], c[N], dx[N], yp[N], ym[N];

  for (guint bits = 8; bits >= 2; bits /= 2)
    {
      float alpha = bits == 2 ? 1.3f : 2.1f, h = alpha * 1e-4f;
      float qmax = (float) ((1u << (bits - 1)) - 1), lo = -(qmax + 1) * alpha / qmax;
      double dalpha, num = 0.0;

      fill_uniform (rand, c, N, -1, 1);
      for (guint k = 0; k < N; k++)
        do
          x[k] = (float) g_rand_double_range (rand, 1.3 * lo, 1.3 * alpha);
        while (near_boundary (x[k] * qmax / alpha) || fabsf (x[k] - alpha) < 0.05f * alpha ||
               fabsf (x[k] - lo) < 0.05f * alpha);
      fb_fake_quant_act_signed_forward (N, x, alpha, bits, y);
      dalpha = fb_fake_quant_act_signed_backward (N, x, alpha, bits, c, dx);
      fb_fake_quant_act_signed_forward (N, x, alpha + h, bits, yp);
      fb_fake_quant_act_signed_forward (N, x, alpha - h, bits, ym);
      for (guint k = 0; k < N; k++)
        {
          gboolean inside = x[k] >= lo && x[k] <= alpha;
          g_assert_cmpfloat (dx[k], ==, inside ? c[k] : 0.0f);
          num += c[k] * ((double) yp[k] - ym[k]) / (2.0 * h);
          if (inside)
            num -= c[k] * (x[k] / alpha);
        }
      g_assert_cmpfloat (fabs (dalpha - num), <, 2e-2 * MAX (1.0, fabs (num)));
    }
}

static void
test_round_pool (void)
{
  float x[5] = { 0.0f, 0.24f, 0.26f, 0.74f, 1.1f }, y[5], dy[5] = { 1, 1, 1, 1, 1 };
  const float s = 0.5f;

  fb_fake_quant_round_forward (5, x, s, y);
  g_assert_cmpfloat (y[0], ==, 0.0f);
  g_assert_cmpfloat (y[1], ==, 0.0f);
  g_assert_cmpfloat (y[2], ==, 0.5f);
  g_assert_cmpfloat (y[3], ==, 0.5f);
  g_assert_cmpfloat (y[4], ==, 1.0f);
  /* dL/ds = Σ dy·(q − x/s) */
  g_assert_cmpfloat (fabs (fb_fake_quant_round_backward (5, x, s, dy) -
                           ((0 - 0) + (0 - 0.48) + (1 - 0.52) + (1 - 1.48) + (2 - 2.2))), <, 1e-5);
}

static void
test_init_step_beats_max (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  enum { N = 2000 };
  float w[N], wq[N], step[1];

  /* Gaussian-like weights with an outlier: the MSE step is smaller than
   * max|w|/qmax at 2 and 4 bits and its error no larger. */
  for (guint k = 0; k < N; k++)
    w[k] = (float) ((g_rand_double (rand) + g_rand_double (rand) + g_rand_double (rand) - 1.5) * 0.1);
  w[7] = 0.9f;
  for (guint bits = 4; bits >= 2; bits /= 2)
    {
      float qmax = (float) ((1 << (bits - 1)) - 1), smax = 0.9f / qmax;
      double e_mse = 0, e_max = 0;
      fb_fake_quant_weights_init_step (1, 1, N, w, bits, step);
      g_assert_cmpfloat (step[0], <, smax);
      fb_fake_quant_weights_forward (1, 1, N, w, step, bits, wq);
      for (guint k = 0; k < N; k++)
        e_mse += (w[k] - wq[k]) * (w[k] - wq[k]);
      fb_fake_quant_weights_forward (1, 1, N, w, &smax, bits, wq);
      for (guint k = 0; k < N; k++)
        e_max += (w[k] - wq[k]) * (w[k] - wq[k]);
      g_assert_cmpfloat (e_mse, <=, e_max);
    }
}

/* Distillation loss: cross-entropy against soft targets, checked against
 * central differences; with one-hot targets it is the hard-label loss. */
static void
test_soft_cross_entropy (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  enum { N = 5, K = 10 };
  float z[N * K], t[N * K], g[N * K], g_hard[N * K], onehot[N * K] = { 0 };
  guint8 labels[N];
  double loss, hard;

  fill_uniform (rand, z, N * K, -3, 3);
  fill_uniform (rand, t, N * K, 0, 1);
  for (guint r = 0; r < N; r++)
    {
      double sum = 0;
      for (guint i = 0; i < K; i++)
        sum += t[r * K + i];
      for (guint i = 0; i < K; i++)
        t[r * K + i] /= (float) sum;
      labels[r] = (guint8) g_rand_int_range (rand, 0, K);
      onehot[r * K + labels[r]] = 1.0f;
    }
  loss = fb_nn_soft_cross_entropy (N, K, z, t, g);
  g_assert_true (isfinite (loss));
  for (guint k = 0; k < N * K; k++)
    {
      float keep = z[k];
      double lp, lm, h = 1e-2;
      z[k] = keep + (float) h;
      lp = fb_nn_soft_cross_entropy (N, K, z, t, NULL);
      z[k] = keep - (float) h;
      lm = fb_nn_soft_cross_entropy (N, K, z, t, NULL);
      z[k] = keep;
      g_assert_cmpfloat (fabs (g[k] - (lp - lm) / (2 * h)), <, 1e-3);
    }
  loss = fb_nn_soft_cross_entropy (N, K, z, onehot, g);
  hard = fb_nn_softmax_cross_entropy (N, K, z, labels, g_hard, NULL);
  g_assert_cmpfloat (fabs (loss - hard), <, 1e-6);
  for (guint k = 0; k < N * K; k++)
    g_assert_cmpfloat (fabsf (g[k] - g_hard[k]), <, 1e-6f);
  /* Softmax rows are distributions. */
  fb_nn_softmax (N, K, z, g);
  for (guint r = 0; r < N; r++)
    {
      double sum = 0;
      for (guint i = 0; i < K; i++)
        sum += g[r * K + i];
      g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-5);
    }
}

/* ---- config sampling ---------------------------------------------------------- */

/* A network where 6-channel tensors admit 8 and 4 bit only. */
static FbNetwork *
odd_network (void)
{
  return fb_test_network_from_string (
    "{ \"format\": \"freebits-network/1\", \"name\": \"odd\","
    "  \"input\": { \"name\": \"input\", \"shape\": [8, 8, 1] },"
    "  \"layers\": ["
    "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\","
    "     \"kernel\": 3, \"pad\": 1, \"cout\": 6, \"relu\": true },"
    "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\","
    "     \"kernel\": 3, \"pad\": 1, \"relu\": true },"
    "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p2\","
    "     \"kernel\": 1, \"cout\": 8, \"relu\": true },"
    "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"p2\"], \"output\": \"pool\" },"
    "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 }"
    "  ] }");
}

static void
test_sampling_respects_packing (void)
{
  g_autoptr(FbNetwork) net = odd_network ();
  guint n_layers = fb_network_get_n_layers (net), n_tensors = fb_network_get_n_tensors (net);
  guint seen_w[8][9] = { { 0 } }, seen_a[8][9] = { { 0 } };

  for (guint step = 0; step < 200; step++)
    {
      g_autoptr(GPtrArray) configs = fb_supernet_step_configs (net, 5, 0, step, 3);
      g_assert_cmpuint (configs->len, ==, 5);
      for (guint k = 0; k < configs->len; k++)
        {
          FbPrecisionConfig *c = g_ptr_array_index (configs, k);
          g_autoptr(GError) error = NULL;
          g_assert_true (fb_precision_config_validate (c, &error));
          g_assert_no_error (error);
          for (guint i = 0; i < n_layers; i++)
            {
              guint b = fb_precision_config_get_weight_bits (c, i);
              if (!fb_layer_is_weighted (fb_network_get_layer (net, i)))
                continue;
              /* Sandwich: the first is all-8, the second the smallest. */
              if (k == 0)
                g_assert_cmpuint (b, ==, 8);
              if (k == 1)
                g_assert_cmpuint (b, ==, fb_network_layer_admits_weight_bits (net, i, 2) ? 2 : 4);
              if (k >= 2)
                seen_w[i][b]++;
            }
          for (guint t = 0; t < n_tensors; t++)
            {
              guint b;
              if (fb_network_get_tensor (net, t)->kind != FB_TENSOR_ACTIVATION)
                continue;
              b = fb_precision_config_get_tensor_bits (c, t);
              g_assert_true (fb_network_tensor_admits_bits (net, t, b));
              if (k == 0)
                g_assert_cmpuint (b, ==, 8);
              if (k == 1)
                g_assert_cmpuint (b, ==, fb_network_tensor_admits_bits (net, t, 2) ? 2 : 4);
              if (k >= 2)
                seen_a[t][b]++;
            }
        }
    }
  /* Random configs use every admitted bit-width of every entry. */
  for (guint i = 0; i < n_layers; i++)
    {
      if (!fb_layer_is_weighted (fb_network_get_layer (net, i)))
        continue;
      for (guint b = 2; b <= 8; b *= 2)
        {
          if (fb_network_layer_admits_weight_bits (net, i, b))
            g_assert_cmpuint (seen_w[i][b], >, 50);
          else
            g_assert_cmpuint (seen_w[i][b], ==, 0);
        }
    }
  for (guint t = 0; t < n_tensors; t++)
    {
      if (fb_network_get_tensor (net, t)->kind != FB_TENSOR_ACTIVATION)
        continue;
      for (guint b = 2; b <= 8; b *= 2)
        {
          if (fb_network_tensor_admits_bits (net, t, b))
            g_assert_cmpuint (seen_a[t][b], >, 50);
          else
            g_assert_cmpuint (seen_a[t][b], ==, 0);
        }
    }
  /* The 6-channel tensors really exclude 2 bit (the test means something). */
  g_assert_false (fb_network_tensor_admits_bits (net, fb_network_lookup_tensor (net, "c1")->index, 2));

  /* Deterministic in (seed, epoch, step). */
  {
    g_autoptr(GPtrArray) a = fb_supernet_step_configs (net, 5, 3, 7, 2);
    g_autoptr(GPtrArray) b = fb_supernet_step_configs (net, 5, 3, 7, 2);
    for (guint k = 0; k < a->len; k++)
      g_assert_true (fb_precision_config_equal (g_ptr_array_index (a, k), g_ptr_array_index (b, k)));
  }
}

/* min_bits 4 (train --supernet --min-bits 4): the sandwich's lower end is
 * every entry at 4 bit (or 8 where 4 does not pack), random configs draw
 * among 8 and 4 only, and min_bits 2 draws exactly what the old sampler did. */
static void
test_sampling_min_bits (void)
{
  g_autoptr(FbNetwork) net = odd_network ();
  guint n_layers = fb_network_get_n_layers (net), n_tensors = fb_network_get_n_tensors (net);
  guint seen4 = 0;

  for (guint step = 0; step < 100; step++)
    {
      g_autoptr(GPtrArray) configs = fb_supernet_step_configs_bits (net, 5, 1, step, 2, 4);
      g_autoptr(GPtrArray) two = fb_supernet_step_configs_bits (net, 5, 1, step, 2, 2);
      g_autoptr(GPtrArray) old = fb_supernet_step_configs (net, 5, 1, step, 2);
      g_assert_cmpuint (configs->len, ==, 4);
      for (guint k = 0; k < old->len; k++)
        g_assert_true (fb_precision_config_equal (g_ptr_array_index (two, k), g_ptr_array_index (old, k)));
      for (guint k = 0; k < configs->len; k++)
        {
          FbPrecisionConfig *c = g_ptr_array_index (configs, k);
          g_assert_true (fb_precision_config_validate (c, NULL));
          for (guint i = 0; i < n_layers; i++)
            if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
              {
                guint b = fb_precision_config_get_weight_bits (c, i);
                g_assert_cmpuint (b, >=, 4);
                if (k == 1)
                  g_assert_cmpuint (b, ==, fb_network_layer_admits_weight_bits (net, i, 4) ? 4 : 8);
                seen4 += k >= 2 && b == 4;
              }
          for (guint t = 0; t < n_tensors; t++)
            if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
              {
                guint b = fb_precision_config_get_tensor_bits (c, t);
                g_assert_cmpuint (b, >=, 4);
                if (k == 1)
                  g_assert_cmpuint (b, ==, fb_network_tensor_admits_bits (net, t, 4) ? 4 : 8);
              }
        }
    }
  /* The random configs do draw 4 bit (not only 8). */
  g_assert_cmpuint (seen4, >, 100);
}

/* ---- training ---------------------------------------------------------------- */

typedef struct {
  GArray *losses;
  guint   steps;
  guint   cancel_after;
  GCancellable *cancel;
} Rec;

static gboolean
rec_progress (FbTrainer *t, const FbTrainProgress *p, gpointer data, GError **error)
{
  Rec *r = data;
  if (p->event == FB_TRAIN_EVENT_STEP)
    {
      g_assert_true (isfinite (p->loss));
      r->steps++;
      if (r->cancel != NULL && r->steps == r->cancel_after)
        g_cancellable_cancel (r->cancel);
      return TRUE;
    }
  g_array_append_val (r->losses, p->loss);
  g_test_message ("epoch %u: loss %.4f, all-8 train accuracy %.3f, test w8a8 %.3f, w4a4 %.3f, w2a2 %.3f",
                  p->epoch + 1, p->loss, p->accuracy, p->test_accuracy, p->test_w4a4, p->test_w2a2);
  return TRUE;
}

static void
assert_has_quant_params (FbNetwork *net, FbWeights *w)
{
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      const FbWeightsTensor *a;
      if (ten->kind != FB_TENSOR_ACTIVATION)
        continue;
      a = fb_weights_lookup (w, fb_network_get_layer (net, (guint) ten->producer)->name, "act_alpha");
      g_assert_nonnull (a);
      g_assert_cmpuint (a->n, ==, 3);
      for (guint b = 0; b < 3; b++)
        g_assert_cmpfloat (a->data[b], >, 0.0f);
    }
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbWeightsTensor *s;
      if (!fb_layer_is_weighted (l))
        continue;
      s = fb_weights_lookup (w, l->name, "w_step");
      g_assert_nonnull (s);
      g_assert_cmpuint (s->n_dims, ==, 2);
      g_assert_cmpuint (s->dims[0], ==, 3);
      g_assert_cmpuint (s->dims[1], ==, l->out_shape.c);
    }
}

/* The bundled network from its float weights on 2 000 Fashion-MNIST
 * images: the supernet loss falls, α is stored for every activation tensor,
 * and the fake-quant w8a8 accuracy stays near the float one. */
static void
test_supernet_smoke_fashion_mnist (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, &error);
  g_autoptr(FbDataset) test = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) init = NULL, out = NULL;
  g_autoptr(FbTrainer) trainer = NULL, ftrainer = NULL;
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  g_autofree char *init_path = NULL;
  FbTrainOptions opt;
  Rec rec = { g_array_new (FALSE, FALSE, sizeof (double)), 0, 0, NULL };
  double float_acc = 0, q8_acc = 0;

  if (train == NULL && g_error_matches (error, FB_ERROR, FB_ERROR_IO))
    {
      g_test_skip_printf ("Fashion-MNIST is not installed: %s", error->message);
      g_array_unref (rec.losses);
      return;
    }
  g_assert_no_error (error);
  test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
  g_assert_no_error (error);
  net = fb_test_load_bundled ("fmnist-mbv1.json");
  init_path = fb_test_network_path ("fmnist-mbv1-float.fbw");
  init = fb_weights_load (init_path, net, &error);
  g_assert_no_error (error);

  /* Fake-quant 8 bit of the float weights, α calibrated on one batch:
   * close to the float accuracy (the 8-bit grid barely perturbs). */
  fb_train_options_init (&opt);
  ftrainer = fb_trainer_new (net, &opt, init, init_path, &error);
  g_assert_no_error (error);
  w8a8 = fb_precision_config_new_uniform (net, 8, 8, &error);
  g_assert_no_error (error);
  g_assert_false (fb_trainer_evaluate_config (ftrainer, w8a8, test, 500, NULL, &q8_acc, NULL, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  fb_test_assert_mentions (error->message, "act_alpha");
  g_clear_error (&error);
  {
    g_autoptr(FbDataLoader) l = fb_data_loader_new (train, FB_DATA_LOADER_EVAL, 128, 128, 0);
    g_autofree float *x = g_new (float, 128 * 28 * 28);
    guint8 labels[128];
    guint n = fb_data_loader_fill (l, 0, 0, x, labels);
    fb_trainer_calibrate_act_alpha (ftrainer, x, n);
  }
  g_assert_true (fb_trainer_evaluate (ftrainer, test, 1000, NULL, &float_acc, NULL, &error));
  g_assert_true (fb_trainer_evaluate_config (ftrainer, w8a8, test, 1000, NULL, &q8_acc, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("float weights, first 1000 test images: float %.3f, fake-quant w8a8 %.3f", float_acc, q8_acc);
  g_assert_cmpfloat (fabs (q8_acc - float_acc), <=, 0.015);

  opt.quant = FB_TRAIN_SUPERNET;
  opt.epochs = 2;
  opt.batch_size = 100;
  opt.lr = 0.01;
  opt.warmup_epochs = 0.2;
  opt.limit_train = 2000;
  opt.random_configs = 1;
  opt.distill = TRUE;
  trainer = fb_trainer_new (net, &opt, init, init_path, &error);
  g_assert_no_error (error);
  g_assert_false (fb_trainer_has_act_alpha (trainer));
  g_assert_true (fb_trainer_run (trainer, train, NULL, rec_progress, &rec, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (fb_trainer_has_act_alpha (trainer));
  g_assert_cmpuint (rec.losses->len, ==, 2);
  g_test_message ("supernet epoch losses %.4f %.4f", g_array_index (rec.losses, double, 0),
                  g_array_index (rec.losses, double, 1));
  g_assert_cmpfloat (g_array_index (rec.losses, double, 1), <, g_array_index (rec.losses, double, 0));

  out = fb_trainer_get_weights (trainer);
  assert_has_quant_params (net, out);
  g_assert_cmpstr (json_object_get_string_member (fb_weights_get_training (out), "method"), ==, "supernet");
  g_assert_true (fb_trainer_evaluate_config (trainer, w8a8, test, 1000, NULL, &q8_acc, NULL, &error));
  g_test_message ("after 2 short supernet epochs: fake-quant w8a8 %.3f on 1000 test images", q8_acc);
  g_assert_cmpfloat (q8_acc, >, 0.8);
  g_array_unref (rec.losses);
}

static FbWeights *
run_supernet (FbNetwork *net, FbDataset *ds, const FbTrainOptions *opt, guint cancel_after,
              FbWeights *resume_from)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) t = fb_trainer_new (net, opt, resume_from, "checkpoint", &error);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  Rec rec = { g_array_new (FALSE, FALSE, sizeof (double)), 0, cancel_after, cancel };
  gboolean ok;

  g_assert_no_error (error);
  if (resume_from != NULL)
    {
      g_assert_true (fb_trainer_resume (t, resume_from, "checkpoint", &error));
      g_assert_no_error (error);
    }
  ok = fb_trainer_run (t, ds, ds, rec_progress, &rec, cancel, &error);
  g_array_unref (rec.losses);
  if (cancel_after > 0)
    {
      g_assert_false (ok);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      return fb_trainer_get_checkpoint (t);
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  return fb_trainer_get_weights (t);
}

/* A supernet run interrupted, saved, reloaded and resumed ends with the
 * weights (α and steps included) of an uninterrupted one. */
static void
test_supernet_resume_is_exact (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", 200, 12, 12, 9);
  g_autoptr(FbNetwork) net = fb_test_tiny_network (12, 12);
  g_autoptr(FbWeights) straight = NULL, ck = NULL, back = NULL, resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "ck.fbw", NULL);
  FbTrainOptions opt, opt2;

  fb_train_options_init (&opt);
  opt.quant = FB_TRAIN_SUPERNET;
  opt.epochs = 3;
  opt.batch_size = 32;
  opt.lr = 0.05;
  opt.distill = TRUE;
  straight = run_supernet (net, ds, &opt, 0, NULL);
  assert_has_quant_params (net, straight);
  ck = run_supernet (net, ds, &opt, 8, NULL);
  g_assert_true (fb_weights_save (ck, path, &error));
  back = fb_weights_load (path, net, &error);
  g_assert_no_error (error);
  g_assert_true (fb_train_options_from_checkpoint (&opt2, back, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (opt2.quant, ==, FB_TRAIN_SUPERNET);
  g_assert_cmpuint (opt2.random_configs, ==, opt.random_configs);
  g_assert_cmpint (opt2.distill, ==, TRUE);
  resumed = run_supernet (net, ds, &opt2, 0, back);

  g_assert_cmpuint (fb_weights_get_n_tensors (resumed), ==, fb_weights_get_n_tensors (straight));
  for (guint i = 0; i < fb_weights_get_n_tensors (straight); i++)
    {
      const FbWeightsTensor *a = fb_weights_get_tensor (straight, i);
      const FbWeightsTensor *b = fb_weights_lookup (resumed, a->layer, a->param);
      g_assert_nonnull (b);
      for (gsize k = 0; k < a->n; k++)
        if (fabsf (a->data[k] - b->data[k]) > 1e-5f * MAX (1.0f, fabsf (a->data[k])))
          g_error ("%s/%s[%" G_GSIZE_FORMAT "]: %g uninterrupted, %g resumed", a->layer, a->param,
                   k, a->data[k], b->data[k]);
    }
  fb_test_tmpdir_free (dir);
}

/* Batch-norm recalibration: the running statistics become those the
 * config's forward pass produces, and evaluation of a supernet config with
 * recalibrated statistics works from the saved file. */
static void
test_recalibrate_and_specialize (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", 200, 12, 12, 4);
  g_autoptr(FbNetwork) net = fb_test_tiny_network (12, 12);
  g_autoptr(FbWeights) w = NULL, spec = NULL;
  g_autoptr(FbPrecisionConfig) w2a2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) t = NULL, t2 = NULL;
  FbTrainOptions opt;
  const FbWeightsTensor *m0, *m1;
  gboolean differs = FALSE;
  double acc = 0, acc2 = -1, loss = 0, loss2 = -1;

  fb_train_options_init (&opt);
  opt.quant = FB_TRAIN_SUPERNET;
  opt.epochs = 2;
  opt.batch_size = 32;
  opt.lr = 0.05;
  w = run_supernet (net, ds, &opt, 0, NULL);
  w2a2 = fb_precision_config_new_uniform (net, 2, 2, &error);
  g_assert_no_error (error);
  spec = fb_supernet_specialize (w, "memory", w2a2, ds, 128, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  assert_has_quant_params (net, spec);
  m0 = fb_weights_lookup (w, "c1", "bn_var");
  m1 = fb_weights_lookup (spec, "c1", "bn_var");
  g_assert_nonnull (m1);
  /* c1 reads the (unquantized) input, so its statistics are the batch's;
   * p2 reads 2-bit activations: its statistics must have changed. */
  m0 = fb_weights_lookup (w, "p2", "bn_var");
  m1 = fb_weights_lookup (spec, "p2", "bn_var");
  for (gsize k = 0; k < m0->n; k++)
    {
      g_assert_cmpfloat (m1->data[k], >=, 0.0f);
      differs |= m0->data[k] != m1->data[k];
    }
  g_assert_true (differs);
  g_assert_nonnull (json_object_get_object_member (fb_weights_get_training (spec), "specialized"));
  /* The specialized file evaluates exactly like the supernet recalibrated
   * in place: the statistics travel through the weights. */
  fb_train_options_init (&opt);
  t = fb_trainer_new (net, &opt, spec, "memory", &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_has_act_alpha (t));
  g_assert_true (fb_trainer_evaluate_config (t, w2a2, ds, 0, NULL, &acc, &loss, &error));
  g_assert_no_error (error);
  t2 = fb_trainer_new (net, &opt, w, "memory", &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_recalibrate_bn (t2, w2a2, ds, 128, NULL, &error));
  g_assert_true (fb_trainer_evaluate_config (t2, w2a2, ds, 0, NULL, &acc2, &loss2, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (acc, ==, acc2);
  g_assert_cmpfloat (fabs (loss - loss2), <, 1e-6);
  fb_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/supernet/act-gradients", test_act_gradients);
  g_test_add_func ("/nn/supernet/act-mix-backward", test_act_mix_backward);
  g_test_add_func ("/nn/supernet/weight-gradients", test_weight_gradients);
  g_test_add_func ("/nn/supernet/act-grid-values", test_act_grid_values);
  g_test_add_func ("/nn/supernet/round-pool", test_round_pool);
  g_test_add_func ("/nn/supernet/act-signed-grid-values", test_act_signed_grid_values);
  g_test_add_func ("/nn/supernet/act-signed-gradients", test_act_signed_gradients);
  g_test_add_func ("/nn/supernet/init-step-beats-max", test_init_step_beats_max);
  g_test_add_func ("/nn/supernet/soft-cross-entropy", test_soft_cross_entropy);
  g_test_add_func ("/nn/supernet/sampling-respects-packing", test_sampling_respects_packing);
  g_test_add_func ("/nn/supernet/sampling-min-bits", test_sampling_min_bits);
  g_test_add_func ("/nn/supernet/resume-is-exact", test_supernet_resume_is_exact);
  g_test_add_func ("/nn/supernet/recalibrate-and-specialize", test_recalibrate_and_specialize);
  g_test_add_func ("/nn/supernet/smoke-fashion-mnist-2000", test_supernet_smoke_fashion_mnist);
  return g_test_run ();
}
