/* test-int-network.c — the integer network (FbIntNetwork): folding, running,
 * evaluation, calibration, the logits checksum.
 *
 * The fold is checked against this file's own float-simulated quantized
 * forward pass: dequantize the integer inputs of a step, compute the layer in
 * double with batch norm as in training, requantize by CONVENTIONS.md's
 * formulas. Every step is compared on exactly the integer inputs it saw, so
 * a ±1 LSB difference in one layer cannot grow downstream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-kernel-pack.h"
#include "fb-nn-ops.h"
#include "fb-int-test-util.h"
#include "fb-nn-test-util.h"
#include "fb-trainer.h"

/* ---- FNV-1a ------------------------------------------------------------ */

static void
test_fnv1a_known (void)
{
  /* Test vectors of the FNV reference (Noll's fnv32a test suite). */
  g_assert_cmphex (fb_fnv1a32 (FB_FNV1A32_INIT, "", 0), ==, 0x811c9dc5u);
  g_assert_cmphex (fb_fnv1a32 (FB_FNV1A32_INIT, "a", 1), ==, 0xe40c292cu);
  g_assert_cmphex (fb_fnv1a32 (FB_FNV1A32_INIT, "foobar", 6), ==, 0xbf9cf968u);
  /* Two int32 logits {1, -1} little-endian: bytes 01 00 00 00 ff ff ff ff,
   * hashed by the definition (offset basis 2166136261, h = (h ^ byte) ·
   * 16777619 mod 2^32) in 64-bit arithmetic, apart from fb_fnv1a32's code. */
  {
    const guint8 bytes[8] = { 0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    guint64 h = 2166136261u;
    for (guint i = 0; i < 8; i++)
      h = ((h ^ bytes[i]) * 16777619u) % 4294967296u;
    g_assert_cmphex (fb_fnv1a32 (FB_FNV1A32_INIT, bytes, 8), ==, (guint32) h);
    /* Continuing a hash over a split buffer gives the same value. */
    g_assert_cmphex (fb_fnv1a32 (fb_fnv1a32 (FB_FNV1A32_INIT, bytes, 3), bytes + 3, 5), ==, (guint32) h);
  }
}

/* ---- the reference ------------------------------------------------------ */

static double
ref_act_scale (FbNetwork *net, FbWeights *w, FbPrecisionConfig *cfg, guint tensor)
{
  const FbTensor *t = fb_network_get_tensor (net, tensor);
  guint bits = fb_precision_config_get_tensor_bits (cfg, tensor);

  if (t->kind == FB_TENSOR_INPUT)
    return 1.0 / 255.0;
  if (t->kind == FB_TENSOR_POOLED)
    return ref_act_scale (net, w, cfg, fb_network_get_layer (net, t->producer)->inputs[0]);
  {
    const FbWeightsTensor *a = fb_weights_lookup (w, fb_network_get_layer (net, t->producer)->name, "act_alpha");
    return a->data[bits == 8 ? 0 : bits == 4 ? 1 : 2] / ((1 << bits) - 1);
  }
}

/* Symmetric per-channel (or, @one, per-tensor) weight quantization by
 * CONVENTIONS.md; element (c, i) at w[c * cs + i * is]. */
static void
ref_quant_weights (const float *w, guint rows, guint len, gsize cs, gsize is, guint bits,
                   gboolean one, const FbWeightsTensor *step, int *q, double *s)
{
  int qmax = (1 << (bits - 1)) - 1;
  double all = 0.0;

  for (guint c = 0; c < rows; c++)
    {
      double m = 0.0;
      for (guint i = 0; i < len; i++)
        m = fmax (m, fabs (w[c * cs + i * is]));
      s[c] = m / qmax;
      all = fmax (all, m);
    }
  for (guint c = 0; c < rows; c++)
    {
      if (one)
        s[c] = all / qmax;
      /* A learned step (its classifier rows all hold the one step). */
      if (step != NULL)
        s[c] = step->data[(bits == 8 ? 0 : bits == 4 ? 1 : 2) * rows + (one ? 0 : c)];
      for (guint i = 0; i < len; i++)
        {
          double v = floor (w[c * cs + i * is] / s[c] + 0.5);
          q[c * len + i] = (int) fmin (fmax (v, -qmax - 1), qmax);
        }
    }
}

static int
requant (double y, double s_y, guint bits)
{
  double v = floor (y / s_y + 0.5);
  return (int) fmin (fmax (v, 0.0), (1 << bits) - 1);
}

static void
unpack (const guint8 *arena, gsize offset, gsize n, guint bits, int *out)
{
  g_autofree guint8 *v = g_new (guint8, MAX (n, 1));
  g_assert_cmpint (fb_kernel_unpack_unsigned (arena + offset, n, (int) bits, v), ==, FB_KERNEL_OK);
  for (gsize i = 0; i < n; i++)
    out[i] = v[i];
}

typedef struct {
  guint compared;
  guint off_by_one;
} RefStats;

/* Compares step @si of @inet, already run on @arena, with the reference on
 * the integer inputs it read (@x1, @x2 unpacked before the step ran). */
static void
check_step (FbIntNetwork *inet, FbWeights *w, FbPrecisionConfig *cfg, guint si, const int *x1,
            const int *x2, const guint8 *arena, RefStats *stats)
{
  FbNetwork *net = fb_int_network_get_network (inet);
  const FbIntStep *is = fb_int_network_get_step (inet, si);
  const FbPlanStep *ps = is->step;
  const FbLayer *l = fb_network_get_layer (net, ps->layer);
  const FbTensor *out = fb_network_get_tensor (net, l->output);
  gsize n_out = (gsize) out->shape.h * out->shape.w * out->shape.c;
  g_autofree double *ref = g_new0 (double, n_out);   /* expected integer outputs */
  g_autofree int *got = g_new (int, n_out);
  double s_x = ref_act_scale (net, w, cfg, l->inputs[0]);
  double s_y = out->kind == FB_TENSOR_LOGITS ? 0.0 : ref_act_scale (net, w, cfg, l->output);
  guint ob = ps->out_bits, wb = ps->mid_bits;
  GHashTable *distinct = g_hash_table_new (NULL, NULL);

  switch (l->op)
    {
    case FB_OP_CONV2D:
    case FB_OP_DEPTHWISE_CONV2D:
      {
        gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
        guint C = l->cout, taps = l->kernel_h * l->kernel_w, len = dw ? taps : taps * l->cin;
        const float *wt = fb_weights_lookup (w, l->name, "weight")->data;
        const float *ga = fb_weights_lookup (w, l->name, "bn_gamma")->data;
        const float *be = fb_weights_lookup (w, l->name, "bn_beta")->data;
        const float *mu = fb_weights_lookup (w, l->name, "bn_mean")->data;
        const float *va = fb_weights_lookup (w, l->name, "bn_var")->data;
        g_autofree int *q = g_new (int, (gsize) C * len);
        g_autofree double *s_w = g_new (double, C);

        ref_quant_weights (wt, C, len, dw ? 1 : len, dw ? C : 1, wb, FALSE,
                           fb_weights_lookup (w, l->name, "w_step"), q, s_w);
        for (guint oy = 0; oy < l->out_shape.h; oy++)
          for (guint ox = 0; ox < l->out_shape.w; ox++)
            for (guint c = 0; c < C; c++)
              {
                double acc = 0.0, y;
                for (guint ky = 0; ky < l->kernel_h; ky++)
                  for (guint kx = 0; kx < l->kernel_w; kx++)
                    {
                      int iy = (int) (oy * l->stride_h + ky) - (int) l->pad_top;
                      int ix = (int) (ox * l->stride_w + kx) - (int) l->pad_left;
                      if (iy < 0 || ix < 0 || iy >= (int) l->in_shape.h || ix >= (int) l->in_shape.w)
                        continue;
                      if (dw)
                        acc += x1[((gsize) iy * l->in_shape.w + ix) * C + c] * s_x *
                               q[(gsize) c * taps + ky * l->kernel_w + kx] * s_w[c];
                      else
                        for (guint ci = 0; ci < l->cin; ci++)
                          acc += x1[((gsize) iy * l->in_shape.w + ix) * l->cin + ci] * s_x *
                                 q[(gsize) c * len + (ky * l->kernel_w + kx) * l->cin + ci] * s_w[c];
                    }
                y = ga[c] * (acc - mu[c]) / sqrt ((double) va[c] + FB_NN_BN_EPS) + be[c];
                ref[((gsize) oy * l->out_shape.w + ox) * C + c] = requant (y, s_y, ob);
              }
      }
      break;
    case FB_OP_LINEAR:
      {
        gboolean logits = out->kind == FB_TENSOR_LOGITS;
        const float *wt = fb_weights_lookup (w, l->name, "weight")->data;
        const float *b = fb_weights_lookup (w, l->name, "bias")->data;
        g_autofree int *q = g_new (int, (gsize) l->cout * l->cin);
        g_autofree double *s_w = g_new (double, l->cout);

        ref_quant_weights (wt, l->cout, l->cin, l->cin, 1, wb, logits,
                           fb_weights_lookup (w, l->name, "w_step"), q, s_w);
        for (guint c = 0; c < l->cout; c++)
          {
            double y = b[c];
            for (guint i = 0; i < l->cin; i++)
              y += x1[i] * s_x * q[(gsize) c * l->cin + i] * s_w[c];
            /* Logits: the real value in units of s_x · s_w (one scale). */
            ref[c] = logits ? y / (s_x * s_w[0]) : requant (y, s_y, ob);
          }
      }
      break;
    case FB_OP_ADD:
      {
        double s2 = ref_act_scale (net, w, cfg, l->inputs[1]);
        for (gsize k = 0; k < n_out; k++)
          ref[k] = requant (x1[k] * s_x + x2[k] * s2, s_y, ob);
      }
      break;
    case FB_OP_GLOBAL_AVG_POOL:
      {
        guint hw = l->in_shape.h * l->in_shape.w, C = l->in_shape.c;
        for (guint c = 0; c < C; c++)
          {
            double sum = 0.0;
            for (guint p = 0; p < hw; p++)
              sum += x1[(gsize) p * C + c] * s_x;
            ref[c] = requant (sum / hw, s_y, ob);
          }
      }
      break;
    default:
      g_assert_not_reached ();
    }

  if (out->kind == FB_TENSOR_LOGITS)
    {
      const gint32 *lg = (const gint32 *) (gconstpointer) (arena + ps->output_offset);
      for (gsize k = 0; k < n_out; k++)
        got[k] = lg[k];
    }
  else
    unpack (arena, ps->output_offset, n_out, ob, got);

  for (gsize k = 0; k < n_out; k++)
    {
      double diff = fabs (got[k] - ref[k]);
      if (diff > 1.0)
        g_error ("step %u (%s, %s): output %" G_GSIZE_FORMAT " is %d, reference %.3f", si, l->name,
                 ps->kernel, k, got[k], ref[k]);
      /* Logits: the reference keeps the fraction of the bias; off by one
       * means more than rounding. */
      stats->off_by_one += out->kind == FB_TENSOR_LOGITS ? diff > 0.5 : diff != 0.0;
      stats->compared++;
      g_hash_table_add (distinct, GINT_TO_POINTER (got[k] + 1));
    }
  /* A layer that clips everything to one value would test nothing. */
  if (n_out >= 8)
    g_assert_cmpuint (g_hash_table_size (distinct), >=, 2);
  g_hash_table_unref (distinct);
}

/* Runs @inet step by step on @image, checking each step. */
static void
run_and_check (FbIntNetwork *inet, FbWeights *w, FbPrecisionConfig *cfg, const guint8 *image,
               RefStats *stats)
{
  g_autoptr(GError) error = NULL;
  FbPlan *plan = fb_int_network_get_plan (inet);
  FbNetwork *net = fb_int_network_get_network (inet);
  const FbTensor *in = fb_network_get_input (net);
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (plan));
  g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (plan) + 1);
  g_autofree gint32 *logits = g_new (gint32, fb_int_network_get_n_classes (inet));
  g_autofree guint8 *arena2 = g_malloc0 (fb_plan_get_arena_bytes (plan));

  memcpy (arena + fb_plan_get_input_offset (plan), image, (gsize) in->shape.h * in->shape.w * in->shape.c);
  for (guint si = 0; si < fb_int_network_get_n_steps (inet); si++)
    {
      const FbPlanStep *ps = fb_int_network_get_step (inet, si)->step;
      const FbLayer *l = fb_network_get_layer (net, ps->layer);
      const FbTensor *t1 = fb_network_get_tensor (net, l->inputs[0]);
      gsize n1 = (gsize) t1->shape.h * t1->shape.w * t1->shape.c;
      g_autofree int *x1 = g_new (int, n1);
      g_autofree int *x2 = g_new (int, n1);

      unpack (arena, ps->input_offset, n1, ps->in_bits, x1);
      if (l->op == FB_OP_ADD)
        unpack (arena, ps->input2_offset, n1, ps->mid_bits, x2);
      g_assert_true (fb_int_network_run_step (inet, si, arena, scratch, &error));
      g_assert_no_error (error);
      check_step (inet, w, cfg, si, x1, x2, arena, stats);
    }
  /* The whole run gives the same logits as the steps one by one. */
  g_assert_true (fb_int_network_run (inet, image, logits, arena2, scratch, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (logits, fb_int_network_get_n_classes (inet) * sizeof (gint32),
                   arena + fb_plan_get_logits_offset (plan),
                   fb_int_network_get_n_classes (inet) * sizeof (gint32));
}

/* Every requantizing step's d is in [0, 31] and maximal: with d + 1, some
 * |kappa| or |lambda| would leave int32. */
static void
check_shifts (FbIntNetwork *inet)
{
  for (guint si = 0; si < fb_int_network_get_n_steps (inet); si++)
    {
      const FbIntStep *is = fb_int_network_get_step (inet, si);
      gint64 m = 0;
      guint n = 0;

      switch (is->step->kind)
        {
        case FB_PLAN_CONV:
        case FB_PLAN_DEPTHWISE:
          n = is->step->conv.ch_out;
          break;
        case FB_PLAN_LINEAR:
          n = is->step->num_o_neurons;
          break;
        case FB_PLAN_ADD:
          g_assert_cmpint (is->shift, >=, 0);
          g_assert_cmpint (is->shift, <=, 31);
          m = MAX (ABS ((gint64) is->m1), ABS ((gint64) is->m2));
          if (is->shift < 31)
            g_assert_cmpint (2 * m + 1, >, G_MAXINT32);
          continue;
        default:
          continue;
        }
      g_assert_cmpint (is->shift, >=, 0);
      g_assert_cmpint (is->shift, <=, 31);
      for (guint c = 0; c < n; c++)
        m = MAX (m, MAX (ABS ((gint64) is->kappa[c]), ABS ((gint64) is->lambda[c])));
      /* Doubling d doubles both (up to rounding of ±1). */
      g_assert_cmpint (2 * m + 2, >, G_MAXINT32);
    }
}

static FbPrecisionConfig *
random_config (FbNetwork *net, GRand *r)
{
  static const guint choice[3] = { 8, 4, 2 };
  FbPrecisionConfig *cfg = fb_precision_config_new (net);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      fb_precision_config_set_weight_bits (cfg, i, choice[g_rand_int_range (r, 0, 3)]);
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      fb_precision_config_set_tensor_bits (cfg, t, choice[g_rand_int_range (r, 0, 3)]);
  return cfg;
}

static void
test_fold_matches_reference (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (10, 10);
  g_autoptr(GRand) r = g_rand_new_with_seed (7);
  const char *uniform[] = { "w8a8", "w4a4", "w2a2", "w8a2", "w2a8", "w4a8" };
  RefStats stats = { 0 };

  for (guint round = 0; round < G_N_ELEMENTS (uniform) + 10; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FbWeights) w = fb_test_random_int_weights (net, 100 + round, TRUE);
      /* Every other round with learned weight steps. */
      if (round % 2 == 1)
        fb_test_add_random_w_step (net, w, 200 + round);
      g_autoptr(FbPrecisionConfig) cfg = NULL;
      g_autoptr(FbIntNetwork) inet = NULL;

      cfg = round < G_N_ELEMENTS (uniform)
        ? fb_precision_config_new_from_spec (net, uniform[round], &error)
        : random_config (net, r);
      g_assert_no_error (error);
      inet = fb_int_network_new (cfg, w, "random.fbw", fb_kernel_arch (), &error);
      g_assert_no_error (error);
      g_assert_nonnull (inet);
      check_shifts (inet);
      for (guint img = 0; img < 8; img++)
        {
          guint8 image[100];
          for (guint p = 0; p < 100; p++)
            image[p] = (guint8) g_rand_int_range (r, 0, 256);
          run_and_check (inet, w, cfg, image, &stats);
        }
    }
  g_test_message ("%u outputs compared, %u off by one LSB", stats.compared, stats.off_by_one);
  g_assert_cmpuint (stats.compared, >, 10000);
  /* ±1 only where the reference sits on a rounding boundary: rare. */
  g_assert_cmpuint (stats.off_by_one, <, stats.compared / 100);
}

/* ---- errors ------------------------------------------------------------ */

static void
test_missing_alpha (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (10, 10);
  g_autoptr(FbWeights) w = fb_test_random_int_weights (net, 1, FALSE);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;

  g_assert_true (fb_int_network_needs_calibration (net, w));
  inet = fb_int_network_new (cfg, w, "plain.fbw", fb_kernel_arch (), &error);
  g_assert_null (inet);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "plain.fbw"));
  g_assert_nonnull (strstr (error->message, "act_alpha"));
}

static void
test_mismatched_weights (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (10, 10);
  g_autoptr(FbNetwork) other = fb_test_tiny_network (12, 12);
  g_autoptr(FbWeights) w = fb_test_random_int_weights (other, 1, TRUE);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "other.fbw", fb_kernel_arch (), &error);

  g_assert_null (inet);
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "other.fbw"));
}

static void
test_misshapen_tensor (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (10, 10);
  g_autoptr(FbWeights) good = fb_test_random_int_weights (net, 1, TRUE);
  g_autoptr(FbWeights) w = fb_weights_new_for_network (net);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;

  /* Copy every tensor, but give d2's gamma the wrong length. */
  for (guint i = 0; i < fb_weights_get_n_tensors (good); i++)
    {
      const FbWeightsTensor *t = fb_weights_get_tensor (good, i);
      guint seven = 7;
      if (g_str_equal (t->layer, "d2") && g_str_equal (t->param, "bn_gamma"))
        fb_weights_add (w, t->layer, t->param, 1, &seven);
      else
        memcpy (fb_weights_add (w, t->layer, t->param, t->n_dims, t->dims), t->data, t->n * sizeof (float));
    }
  inet = fb_int_network_new (cfg, w, "bad.fbw", fb_kernel_arch (), &error);
  g_assert_null (inet);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "bad.fbw"));
  g_assert_nonnull (strstr (error->message, "d2"));
  g_assert_nonnull (strstr (error->message, "bn_gamma"));
}

static void
test_negative_variance (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (10, 10);
  g_autoptr(FbWeights) w = fb_test_random_int_weights (net, 1, TRUE);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (net);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;

  ((FbWeightsTensor *) fb_weights_lookup (w, "p2", "bn_var"))->data[3] = -0.5f;
  inet = fb_int_network_new (cfg, w, "neg.fbw", fb_kernel_arch (), &error);
  g_assert_null (inet);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "neg.fbw"));
  g_assert_nonnull (strstr (error->message, "p2"));
  g_assert_nonnull (strstr (error->message, "bn_var"));
}

/* ---- evaluation and calibration ----------------------------------------- */

typedef struct {
  char      *dir;
  FbNetwork *net;
  FbDataset *train;
  FbDataset *test;
} EvalFixture;

static void
eval_setup (EvalFixture *f, gconstpointer data)
{
  f->dir = fb_test_tmpdir_new ();
  f->net = fb_test_tiny_network (12, 12);
  f->train = fb_test_synthetic_dataset (f->dir, "train", 300, 12, 12, 3);
  f->test = fb_test_synthetic_dataset (f->dir, "t10k", 300, 12, 12, 4);
}

static void
eval_teardown (EvalFixture *f, gconstpointer data)
{
  fb_test_tmpdir_free (f->dir);
  fb_network_unref (f->net);
  fb_dataset_unref (f->train);
  fb_dataset_unref (f->test);
}

static void
test_calibrate (EvalFixture *f, gconstpointer data)
{
  g_autoptr(FbWeights) plain = fb_test_random_int_weights (f->net, 5, FALSE);
  g_autoptr(FbWeights) cal = NULL;
  g_autoptr(GError) error = NULL;

  cal = fb_int_network_calibrate (f->net, plain, "plain.fbw", f->train, 200, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fb_int_network_needs_calibration (f->net, cal));
  for (guint i = 0; i < fb_network_get_n_layers (f->net); i++)
    {
      const FbLayer *l = fb_network_get_layer (f->net, i);
      const FbWeightsTensor *a = fb_weights_lookup (cal, l->name, "act_alpha");
      if (fb_network_get_tensor (f->net, l->output)->kind != FB_TENSOR_ACTIVATION)
        {
          g_assert_null (a);
          continue;
        }
      g_assert_nonnull (a);
      g_assert_cmpuint (a->n, ==, 3);
      /* Fewer levels: clipping lower pays off (MSE-optimal). */
      g_assert_cmpfloat (a->data[0], >, 0.0f);
      g_assert_cmpfloat (a->data[0], >=, a->data[1]);
      g_assert_cmpfloat (a->data[1], >=, a->data[2]);
      g_assert_cmpfloat (a->data[2], >, 0.0f);
      /* Weight steps: max|w| / 127 per channel at 8 bits, positive at 4 and 2. */
      if (fb_layer_is_weighted (l))
        {
          const FbWeightsTensor *st = fb_weights_lookup (cal, l->name, "w_step");
          const FbWeightsTensor *wt = fb_weights_lookup (plain, l->name, "weight");
          gboolean dw = l->op == FB_OP_DEPTHWISE_CONV2D;
          gboolean one = fb_network_get_tensor (f->net, l->output)->kind == FB_TENSOR_LOGITS;
          g_assert_nonnull (st);
          g_assert_cmpuint (st->n_dims, ==, 2);
          g_assert_cmpuint (st->dims[0], ==, 3);
          g_assert_cmpuint (st->dims[1], ==, l->cout);
          for (guint c = 0; c < l->cout; c++)
            {
              float m = 0.0f;
              for (gsize e = 0; e < wt->n; e++)
                if (one || (dw ? e % l->cout : e / (wt->n / l->cout)) == c)
                  m = fmaxf (m, fabsf (wt->data[e]));
              g_assert_cmpfloat_with_epsilon (st->data[c], m / 127.0f, 1e-6);
              g_assert_cmpfloat (st->data[l->cout + c], >, 0.0f);
              g_assert_cmpfloat (st->data[2 * l->cout + c], >, 0.0f);
            }
        }
      /* The other tensors are copied unchanged. */
      if (fb_layer_is_weighted (l))
        g_assert_cmpmem (fb_weights_lookup (cal, l->name, "weight")->data,
                       fb_weights_lookup (cal, l->name, "weight")->n * sizeof (float),
                       fb_weights_lookup (plain, l->name, "weight")->data,
                       fb_weights_lookup (plain, l->name, "weight")->n * sizeof (float));
    }
}

static void
test_evaluate (EvalFixture *f, gconstpointer data)
{
  g_autoptr(FbWeights) w = fb_test_random_int_weights (f->net, 9, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (f->net, "w4a8", &error);
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "w.fbw", fb_kernel_arch (), &error);
  FbPlan *plan = fb_int_network_get_plan (inet);
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (plan));
  g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (plan) + 1);
  FbIntEvalResult r1, r2, r3;
  guint32 hash = FB_FNV1A32_INIT;
  guint correct = 0, limit = 257;

  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, f->test, limit, 2, NULL, &r1, &error));
  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, f->test, limit, 1, NULL, &r2, &error));
  g_assert_true (fb_int_network_evaluate (inet, f->test, 0, 2, NULL, &r3, &error));
  g_assert_cmpuint (r3.n_images, ==, 300);

  /* Image by image, in order, on one thread. */
  for (guint i = 0; i < limit; i++)
    {
      gint32 lg[10];
      guint best = 0;
      g_assert_true (fb_int_network_run (inet, fb_dataset_get_image (f->test, i), lg, arena, scratch, &error));
      for (guint c = 1; c < 10; c++)
        if (lg[c] > lg[best])
          best = c;
      correct += best == fb_dataset_get_label (f->test, i);
      for (guint c = 0; c < 10; c++)
        {
          guint8 le[4] = { (guint8) lg[c], (guint8) ((guint32) lg[c] >> 8),
                           (guint8) ((guint32) lg[c] >> 16), (guint8) ((guint32) lg[c] >> 24) };
          hash = fb_fnv1a32 (hash, le, 4);
        }
    }
  g_assert_cmpuint (r1.n_images, ==, limit);
  g_assert_cmpuint (r1.correct, ==, correct);
  g_assert_cmpfloat_with_epsilon (r1.accuracy, (double) correct / limit, 1e-12);
  g_assert_cmphex (r1.logits_fnv1a, ==, hash);
  /* Thread count changes nothing. */
  g_assert_cmphex (r2.logits_fnv1a, ==, hash);
  g_assert_cmpuint (r2.correct, ==, correct);
}

static void
test_evaluate_cancel (EvalFixture *f, gconstpointer data)
{
  g_autoptr(FbWeights) w = fb_test_random_int_weights (f->net, 9, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (f->net);
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "w.fbw", fb_kernel_arch (), &error);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  FbIntEvalResult r;

  g_cancellable_cancel (cancel);
  g_assert_false (fb_int_network_evaluate (inet, f->test, 0, 2, cancel, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (20000);
  g_cancellable_cancel (data);
  return NULL;
}

/* Cancelled while running (fmnist-mbv1 on 3000 images takes seconds): stops
 * within the chunk in progress. */
static void
test_evaluate_cancel_running (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbWeights) w = fb_test_random_int_weights (net, 4, TRUE);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (net);
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "w.fbw", fb_kernel_arch (), &error);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autofree char *dir = g_dir_make_tmp ("fb-int-XXXXXX", NULL);
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "t10k", 3000, 28, 28, 5);
  GThread *thread;
  FbIntEvalResult r;
  gint64 t0;

  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  thread = g_thread_new ("cancel", cancel_soon, cancel);
  g_assert_false (fb_int_network_evaluate (inet, ds, 0, 2, cancel, &r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Only against a hang: one chunk per thread finishes after the cancel. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 120 * G_USEC_PER_SEC);
  g_thread_join (thread);
  {
    g_autofree char *ip = g_build_filename (dir, "t10k-images-idx3-ubyte", NULL);
    g_autofree char *lp = g_build_filename (dir, "t10k-labels-idx1-ubyte", NULL);
    g_unlink (ip);
    g_unlink (lp);
    g_rmdir (dir);
  }
}

/* Supernet weights: batch norm recalibrated per config, except all-8. */
static void
test_supernet_weights (EvalFixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) trainer = NULL;
  g_autoptr(FbWeights) w = NULL, same = NULL, spec = NULL, none = NULL;
  g_autoptr(FbPrecisionConfig) all8 = fb_precision_config_new (f->net);
  g_autoptr(FbPrecisionConfig) low = fb_precision_config_new_from_spec (f->net, "w4a2", &error);
  g_autoptr(FbIntNetwork) inet = NULL;
  FbTrainOptions opt;
  gboolean moved = FALSE;
  FbIntEvalResult r;

  fb_train_options_init (&opt);
  opt.quant = FB_TRAIN_SUPERNET;
  opt.epochs = 1;
  opt.batch_size = 50;
  trainer = fb_trainer_new (f->net, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_run (trainer, f->train, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  w = fb_trainer_get_weights (trainer);
  g_assert_true (fb_int_network_is_supernet (w));
  g_assert_false (fb_int_network_needs_calibration (f->net, w));

  same = fb_int_network_weights_for_config (w, "super.fbw", all8, NULL, 100, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (same == w);

  none = fb_int_network_weights_for_config (w, "super.fbw", low, NULL, 100, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "super.fbw"));
  g_clear_error (&error);

  spec = fb_int_network_weights_for_config (w, "super.fbw", low, f->train, 100, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (spec != w);
  g_assert_false (fb_int_network_is_supernet (spec));
  for (guint i = 0; i < fb_network_get_n_layers (f->net); i++)
    {
      const FbLayer *l = fb_network_get_layer (f->net, i);
      const FbWeightsTensor *a = fb_weights_lookup (w, l->name, "bn_mean");
      const FbWeightsTensor *b = fb_weights_lookup (spec, l->name, "bn_mean");
      if (a != NULL)
        moved |= memcmp (a->data, b->data, a->n * sizeof (float)) != 0;
    }
  g_assert_true (moved);
  inet = fb_int_network_new (low, spec, "super.fbw", fb_kernel_arch (), &error);
  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, f->test, 0, 2, NULL, &r, &error));
  g_assert_cmpuint (r.n_images, ==, 300);
}

/* ---- the bundled float weights on Fashion-MNIST ---------------------------- */

static void
test_fmnist_float_w8a8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autofree char *wpath = fb_test_network_path ("fmnist-mbv1-float.fbw");
  g_autoptr(FbDataset) train = NULL, test = NULL;
  g_autoptr(FbWeights) w = NULL, cal = NULL;
  g_autoptr(FbPrecisionConfig) cfg = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  FbIntEvalResult r;

  test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
  if (test == NULL)
    {
      g_test_skip ("Fashion-MNIST not installed (Debian package " FB_FASHION_MNIST_PACKAGE ")");
      return;
    }
  train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, &error);
  g_assert_no_error (error);
  w = fb_weights_load (wpath, net, &error);
  g_assert_no_error (error);
  cal = fb_int_network_calibrate (net, w, wpath, train, 2000, NULL, &error);
  g_assert_no_error (error);
  cfg = fb_precision_config_new_from_spec (net, "w8a8", &error);
  inet = fb_int_network_new (cfg, cal, wpath, fb_kernel_arch (), &error);
  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, test, 1000, 0, NULL, &r, &error));
  g_assert_no_error (error);
  g_test_message ("w8a8, float weights + calibration, first 1000 test images: %.4f (%.3f s)",
                  r.accuracy, r.seconds);
  g_assert_cmpuint (r.n_images, ==, 1000);
  g_assert_cmpfloat (r.accuracy, >=, 0.88);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/int-network/fnv1a-known", test_fnv1a_known);
  g_test_add_func ("/int-network/fold-matches-reference", test_fold_matches_reference);
  g_test_add_func ("/int-network/missing-alpha", test_missing_alpha);
  g_test_add_func ("/int-network/mismatched-weights", test_mismatched_weights);
  g_test_add_func ("/int-network/misshapen-tensor", test_misshapen_tensor);
  g_test_add_func ("/int-network/negative-variance", test_negative_variance);
  g_test_add ("/int-network/calibrate", EvalFixture, NULL, eval_setup, test_calibrate, eval_teardown);
  g_test_add ("/int-network/evaluate", EvalFixture, NULL, eval_setup, test_evaluate, eval_teardown);
  g_test_add ("/int-network/evaluate-cancel", EvalFixture, NULL, eval_setup, test_evaluate_cancel, eval_teardown);
  g_test_add_func ("/int-network/evaluate-cancel-running", test_evaluate_cancel_running);
  g_test_add ("/int-network/supernet-weights", EvalFixture, NULL, eval_setup, test_supernet_weights, eval_teardown);
  g_test_add_func ("/int-network/fmnist-float-w8a8", test_fmnist_float_w8a8);
  return g_test_run ();
}
