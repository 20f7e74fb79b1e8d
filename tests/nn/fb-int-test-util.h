/* fb-int-test-util.h — random float weights for the integer-network tests
 * (header only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <math.h>

#include "fb-weights.h"

static inline double
fb_test_urand (GRand *r, double lo, double hi)
{
  return g_rand_double_range (r, lo, hi);
}

/* Random float weights for every layer, BN statistics and α per bit-width. */
static inline FbWeights *
fb_test_random_int_weights (FbNetwork *net, guint32 seed, gboolean with_alpha)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  FbWeights *w = fb_weights_new_for_network (net);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      guint c = l->cout;
      float *p;

      if (l->op == FB_OP_CONV2D || l->op == FB_OP_DEPTHWISE_CONV2D)
        {
          gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
          guint d4[4] = { c, l->kernel_h, l->kernel_w, l->cin }, d3[3] = { l->kernel_h, l->kernel_w, c };
          guint fan = dw ? l->kernel_h * l->kernel_w : l->kernel_h * l->kernel_w * l->cin;
          p = fb_weights_add (w, l->name, "weight", dw ? 3 : 4, dw ? d3 : d4);
          for (guint64 k = 0; k < l->n_weights; k++)
            p[k] = (float) fb_test_urand (r, -2.0, 2.0) / sqrtf (fan);
          p = fb_weights_add (w, l->name, "bn_gamma", 1, &c);
          for (guint k = 0; k < c; k++)
            p[k] = (float) (fb_test_urand (r, 0.5, 1.5) * (g_rand_int_range (r, 0, 5) == 0 ? -1 : 1));
          p = fb_weights_add (w, l->name, "bn_beta", 1, &c);
          for (guint k = 0; k < c; k++)
            p[k] = (float) fb_test_urand (r, -0.3, 0.8);
          p = fb_weights_add (w, l->name, "bn_mean", 1, &c);
          for (guint k = 0; k < c; k++)
            p[k] = (float) fb_test_urand (r, -0.2, 0.2);
          p = fb_weights_add (w, l->name, "bn_var", 1, &c);
          for (guint k = 0; k < c; k++)
            p[k] = (float) fb_test_urand (r, 0.3, 2.0);
        }
      else if (l->op == FB_OP_LINEAR)
        {
          guint d2[2] = { c, l->cin };
          p = fb_weights_add (w, l->name, "weight", 2, d2);
          for (guint k = 0; k < c * l->cin; k++)
            p[k] = (float) fb_test_urand (r, -2.0, 2.0) / sqrtf (l->cin);
          p = fb_weights_add (w, l->name, "bias", 1, &c);
          for (guint k = 0; k < c; k++)
            p[k] = (float) fb_test_urand (r, -0.3, 0.3);
        }
      if (with_alpha && fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION)
        {
          guint three = 3;
          p = fb_weights_add (w, l->name, "act_alpha", 1, &three);
          p[0] = (float) fb_test_urand (r, 1.0, 3.0);
          p[1] = p[0] * (float) fb_test_urand (r, 0.5, 1.0);
          p[2] = p[1] * (float) fb_test_urand (r, 0.5, 1.0);
        }
    }
  return w;
}


/* Adds a random learned step (layer, "w_step") = [3][Cout] to every weighted
 * layer: a fraction of max|w_c| / (2^(b-1) - 1), so some weights clip; the
 * classifier's one step repeated over its rows, as the trainer writes it. */
static inline void
fb_test_add_random_w_step (FbNetwork *net, FbWeights *w, guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  static const int qmax[3] = { 127, 7, 1 };

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbWeightsTensor *wt = fb_weights_lookup (w, l->name, "weight");
      gboolean one = fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_LOGITS;
      gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
      guint dims[2] = { 3, l->cout };
      float *step;

      if (!fb_layer_is_weighted (l))
        continue;
      step = fb_weights_add (w, l->name, "w_step", 2, dims);
      for (guint b = 0; b < 3; b++)
        for (guint c = 0; c < l->cout; c++)
          {
            float m = 0.0f;
            if (one && c > 0)
              {
                step[b * l->cout + c] = step[b * l->cout];
                continue;
              }
            for (gsize e = 0; e < wt->n; e++)
              if (one || (dw ? e % l->cout : e / (wt->n / l->cout)) == c)
                m = fmaxf (m, fabsf (wt->data[e]));
            step[b * l->cout + c] = m / qmax[b] * (float) fb_test_urand (r, 0.4, 1.0);
          }
    }
}
