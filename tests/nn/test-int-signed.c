/* test-int-signed.c — the integer network with the Wave 2 operators: a signed
 * input, layers without ReLU (signed tensors), adds of signed and unsigned
 * tensors, windowed max and average pools, and a vector network with a
 * zero point and a "values" output. Each evaluates in integer arithmetic
 * close to its float computation, computed here from the same weights with
 * plain loops; the plan's kernel calls carry the right flags.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-int-network.h"
#include "fb-int-test-util.h"
#include "fb-nn-ops.h"

/* A ResNet block as published (relu-less conv2 before the add, a bare 1×1
 * shortcut from the signed input), a signed add, max and average pools. */
static const char resnet_json[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"int-signed\","
  "  \"input\": { \"name\": \"in\", \"shape\": [8, 8, 4], \"signed\": true, \"scale\": 0.05 },"
  "  \"layers\": ["
  "    { \"name\": \"conv1\", \"op\": \"conv2d\", \"inputs\": [\"in\"], \"output\": \"c1\", \"kernel\": 3, \"pad\": 1, \"cout\": 8 },"
  "    { \"name\": \"conv2\", \"op\": \"conv2d\", \"inputs\": [\"c1\"], \"output\": \"c2\", \"kernel\": 3, \"pad\": 1, \"cout\": 8, \"relu\": false },"
  "    { \"name\": \"short\", \"op\": \"conv2d\", \"inputs\": [\"in\"], \"output\": \"s\", \"kernel\": 1, \"cout\": 8, \"relu\": false },"
  "    { \"name\": \"res\", \"op\": \"add\", \"inputs\": [\"c2\", \"s\"], \"output\": \"r\", \"relu\": true },"
  "    { \"name\": \"proj\", \"op\": \"conv2d\", \"inputs\": [\"r\"], \"output\": \"p\", \"kernel\": 1, \"cout\": 8, \"relu\": false },"
  "    { \"name\": \"res2\", \"op\": \"add\", \"inputs\": [\"p\", \"r\"], \"output\": \"r2\" },"
  "    { \"name\": \"mpool\", \"op\": \"max_pool2d\", \"inputs\": [\"r2\"], \"output\": \"m\", \"kernel\": 3, \"stride\": 2, \"pad\": 1 },"
  "    { \"name\": \"apool\", \"op\": \"avg_pool2d\", \"inputs\": [\"m\"], \"output\": \"a\", \"kernel\": 3, \"stride\": 2, \"pad\": 1 },"
  "    { \"name\": \"gap\", \"op\": \"global_avg_pool\", \"inputs\": [\"a\"], \"output\": \"g\" },"
  "    { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"g\"], \"output\": \"logits\", \"cout\": 4 } ] }";

/* An autoencoder on a 1-D input with a zero point; the output are values. */
static const char vector_json[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"int-vector\", \"output_kind\": \"values\","
  "  \"input\": { \"name\": \"x\", \"shape\": [16], \"scale\": 0.02, \"zero_point\": 100 },"
  "  \"layers\": ["
  "    { \"name\": \"enc\", \"op\": \"linear\", \"inputs\": [\"x\"], \"output\": \"h\", \"cout\": 24, \"relu\": true },"
  "    { \"name\": \"code\", \"op\": \"linear\", \"inputs\": [\"h\"], \"output\": \"z\", \"cout\": 8 },"
  "    { \"name\": \"dec\", \"op\": \"linear\", \"inputs\": [\"z\"], \"output\": \"y\", \"cout\": 16 } ] }";

#define N_CALIB 64
#define N_EVAL 8

typedef struct {
  FbNetwork *net;
  double     lo, hi;
} InputGen;

/* Input number @index: deterministic uniform values in [lo, hi]. */
static void
gen_input (gpointer user_data, guint index, float *dst)
{
  InputGen *g = user_data;
  const FbTensor *in = fb_network_get_input (g->net);
  g_autoptr(GRand) r = g_rand_new_with_seed (1000 + index);

  for (gsize i = 0; i < (gsize) in->shape.h * in->shape.w * in->shape.c; i++)
    dst[i] = (float) g_rand_double_range (r, g->lo, g->hi);
}

static const float *
param (FbWeights *w, const FbLayer *l, const char *name)
{
  const FbWeightsTensor *t = fb_weights_lookup (w, l->name, name);
  g_assert_nonnull (t);
  return t->data;
}

/* The float network with plain loops, in double: conv + batch norm (+ ReLU),
 * linear (+ ReLU), add (+ ReLU), pools. @act[t] receives tensor t. */
static void
float_reference (FbNetwork *net, FbWeights *w, const float *input, double **act)
{
  const FbTensor *in = fb_network_get_input (net);

  for (gsize i = 0; i < (gsize) in->shape.h * in->shape.w * in->shape.c; i++)
    act[in->index][i] = input[i];
  for (guint li = 0; li < fb_network_get_n_layers (net); li++)
    {
      const FbLayer *l = fb_network_get_layer (net, li);
      const double *x = act[l->inputs[0]];
      double *y = act[l->output];
      guint H = l->in_shape.h, W = l->in_shape.w, C = l->in_shape.c;
      guint OH = l->out_shape.h, OW = l->out_shape.w, OC = l->out_shape.c;

      switch (l->op)
        {
        case FB_OP_CONV2D:
          {
            const float *wt = param (w, l, "weight"), *ga = param (w, l, "bn_gamma");
            const float *be = param (w, l, "bn_beta"), *mu = param (w, l, "bn_mean");
            const float *va = param (w, l, "bn_var");
            for (guint oy = 0; oy < OH; oy++)
              for (guint ox = 0; ox < OW; ox++)
                for (guint co = 0; co < OC; co++)
                  {
                    double acc = 0.0, v;
                    for (guint ky = 0; ky < l->kernel_h; ky++)
                      for (guint kx = 0; kx < l->kernel_w; kx++)
                        {
                          int iy = (int) (oy * l->stride_h + ky) - (int) l->pad_top;
                          int ix = (int) (ox * l->stride_w + kx) - (int) l->pad_left;
                          if (iy < 0 || ix < 0 || iy >= (int) H || ix >= (int) W)
                            continue;
                          for (guint ci = 0; ci < C; ci++)
                            acc += x[((gsize) iy * W + ix) * C + ci] *
                                   wt[(((gsize) co * l->kernel_h + ky) * l->kernel_w + kx) * C + ci];
                        }
                    v = ga[co] * (acc - mu[co]) / sqrt ((double) va[co] + FB_NN_BN_EPS) + be[co];
                    y[((gsize) oy * OW + ox) * OC + co] = l->relu ? MAX (v, 0.0) : v;
                  }
          }
          break;
        case FB_OP_LINEAR:
          {
            const float *wt = param (w, l, "weight"), *b = param (w, l, "bias");
            for (guint co = 0; co < l->cout; co++)
              {
                double v = b[co];
                for (guint ci = 0; ci < l->cin; ci++)
                  v += x[ci] * wt[(gsize) co * l->cin + ci];
                y[co] = l->relu ? MAX (v, 0.0) : v;
              }
          }
          break;
        case FB_OP_ADD:
          for (gsize i = 0; i < (gsize) H * W * C; i++)
            {
              double v = x[i] + act[l->inputs[1]][i];
              y[i] = l->relu ? MAX (v, 0.0) : v;
            }
          break;
        case FB_OP_GLOBAL_AVG_POOL:
          for (guint c = 0; c < C; c++)
            {
              double s = 0.0;
              for (gsize p = 0; p < (gsize) H * W; p++)
                s += x[p * C + c];
              y[c] = s / (H * W);
            }
          break;
        case FB_OP_AVG_POOL2D:
        case FB_OP_MAX_POOL2D:
          for (guint oy = 0; oy < OH; oy++)
            for (guint ox = 0; ox < OW; ox++)
              for (guint c = 0; c < C; c++)
                {
                  double s = 0.0, m = -INFINITY, n = 0.0;
                  for (guint ky = 0; ky < l->kernel_h; ky++)
                    for (guint kx = 0; kx < l->kernel_w; kx++)
                      {
                        int iy = (int) (oy * l->stride_h + ky) - (int) l->pad_top;
                        int ix = (int) (ox * l->stride_w + kx) - (int) l->pad_left;
                        if (iy < 0 || ix < 0 || iy >= (int) H || ix >= (int) W)
                          {
                            n += l->count_include_pad;
                            continue;
                          }
                        s += x[((gsize) iy * W + ix) * C + c];
                        m = MAX (m, x[((gsize) iy * W + ix) * C + c]);
                        n += 1.0;
                      }
                  y[((gsize) oy * OW + ox) * C + c] = l->op == FB_OP_MAX_POOL2D ? m : s / n;
                }
          break;
        case FB_OP_DEPTHWISE_CONV2D:
          g_assert_not_reached ();
        }
    }
}

/* Calibrates random weights on random inputs, lowers them at @spec and
 * compares the dequantized int32 output with the float reference on
 * N_EVAL more inputs; returns the largest error relative to the largest
 * |float output|. */
static double
int_vs_float (FbNetwork *net, InputGen *gen, const char *spec, FbIntNetwork **inet_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) raw = fb_test_random_int_weights (net, 77, FALSE);
  g_autoptr(FbWeights) w = fb_int_network_calibrate_with (net, raw, "random", gen_input, gen, N_CALIB,
                                                          NULL, &error);
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  guint n_t = fb_network_get_n_tensors (net);
  const FbTensor *in = fb_network_get_input (net), *out = fb_network_get_logits (net);
  gsize n_in = (gsize) in->shape.h * in->shape.w * in->shape.c;
  g_autofree float *x = g_new (float, n_in);
  g_autofree guint8 *xq = g_new (guint8, n_in);
  g_autofree gint32 *y = g_new (gint32, out->shape.c);
  double **act = g_new0 (double *, n_t);
  double worst = 0.0, range = 0.0;
  guint8 *arena, *scratch;

  g_assert_no_error (error);
  config = fb_precision_config_new_from_spec (net, spec, &error);
  g_assert_no_error (error);
  inet = fb_int_network_new (config, w, "random", fb_kernel_arch (), &error);
  g_assert_no_error (error);
  arena = g_malloc0 (fb_plan_get_arena_bytes (fb_int_network_get_plan (inet)) + 4);
  scratch = g_malloc0 (fb_plan_get_scratch_bytes (fb_int_network_get_plan (inet)) + 1);
  for (guint t = 0; t < n_t; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      act[t] = g_new0 (double, (gsize) ten->shape.h * ten->shape.w * ten->shape.c);
    }
  for (guint k = 0; k < N_EVAL; k++)
    {
      double scale = fb_int_network_get_tensor_scale (inet, out->index);
      gen_input (gen, N_CALIB + k, x);
      float_reference (net, w, x, act);
      fb_int_network_quantize_input (inet, x, xq);
      g_assert_true (fb_int_network_run (inet, xq, y, arena, scratch, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < out->shape.c; c++)
        {
          worst = MAX (worst, fabs (y[c] * scale - act[out->index][c]));
          range = MAX (range, fabs (act[out->index][c]));
        }
    }
  for (guint t = 0; t < n_t; t++)
    g_free (act[t]);
  g_free (act);
  g_free (arena);
  g_free (scratch);
  g_assert_cmpfloat (range, >, 0.0);
  if (inet_out != NULL)
    *inet_out = g_steal_pointer (&inet);
  return worst / range;
}

static void
test_resnet_close_to_float (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (resnet_json, -1, "resnet", &error);
  InputGen gen = { net, -2.0, 2.0 };
  g_autoptr(FbIntNetwork) inet = NULL;
  double e8, e4;

  g_assert_no_error (error);
  e8 = int_vs_float (net, &gen, "w8a8", &inet);
  e4 = int_vs_float (net, &gen, "w4a4", NULL);
  g_test_message ("largest |int - float| / max |float| of the logits: w8a8 %.4f, w4a4 %.4f", e8, e4);
  /* Post-training calibration clips the tails (MSE-optimal α on N_CALIB
   * inputs), which dominates the error at 8 bits. */
  g_assert_cmpfloat (e8, <, 0.08);
  g_assert_cmpfloat (e4, <, 0.3);
  g_assert_cmpfloat (e4, >, e8);   /* fewer bits, more error: the comparison sees it */
}

/* The plan's kernel calls: which kernel, which flags. */
static void
test_resnet_plan (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (resnet_json, -1, "resnet", &error);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_new_from_spec (net, "w8a4", &error);
  g_autoptr(FbPlan) plan = fb_plan_new (config, fb_kernel_arch (), &error);
  const gint32 SI = FB_KERNEL_FLAG_SIGNED_IN, SI2 = FB_KERNEL_FLAG_SIGNED_IN2;
  const gint32 SO = FB_KERNEL_FLAG_SIGNED_OUT, RELU = FB_KERNEL_FLAG_RELU;
  static const struct { FbPlanKind kind; const char *kernel; } expect[] = {
    { FB_PLAN_CONV, "fb_conv_u8_u4_i8" },             /* conv1: signed input, ReLU */
    { FB_PLAN_CONV, "fb_conv_u4_u4_i8" },             /* conv2: signed output */
    { FB_PLAN_CONV, "fb_conv_u8_u4_i8" },             /* short: both */
    { FB_PLAN_ADD, "fb_add_u4_u4_u4" },               /* res: two signed inputs, ReLU */
    { FB_PLAN_CONV, "fb_conv_u4_u4_i8" },             /* proj */
    { FB_PLAN_ADD, "fb_add_u4_u4_u4" },               /* res2: signed + unsigned, signed out */
    { FB_PLAN_MAXPOOL2D, "fb_maxpool2d_u4" },
    { FB_PLAN_AVGPOOL2D, "fb_avgpool2d_u4" },
    { FB_PLAN_AVGPOOL, "fb_avgpool_u4" },
    { FB_PLAN_LINEAR_I32, "fb_linear_u4_i32_i8" },
  };
  const gint32 flags[] = { SI | RELU, SO, SI | SO, SI | SI2 | RELU, SO, SI | SO, SI, SI, SI, SI };

  g_assert_no_error (error);
  g_assert_cmpuint (fb_plan_get_n_steps (plan), ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const FbPlanStep *st = fb_plan_get_step (plan, i);
      g_assert_cmpint (st->kind, ==, expect[i].kind);
      g_assert_cmpstr (st->kernel, ==, expect[i].kernel);
      if (st->conv.flag_relu != flags[i])
        g_test_fail_printf ("step %u (%s): flags 0x%x, expected 0x%x", i, st->kernel,
                            (unsigned) st->conv.flag_relu, (unsigned) flags[i]);
    }
  /* the pools' geometry: 8x8 → 4x4 → 2x2 */
  g_assert_cmpint (fb_plan_get_step (plan, 6)->conv.dim_out_x, ==, 4);
  g_assert_cmpint (fb_plan_get_step (plan, 7)->conv.dim_out_x, ==, 2);
  g_assert_cmpint (fb_plan_get_step (plan, 7)->conv.pad_top, ==, 1);
}

static void
test_vector_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (vector_json, -1, "vector", &error);
  /* real inputs in [-2, 1]: integers 0 … 150 around the zero point 100 */
  InputGen gen = { net, -2.0, 1.0 };
  g_autoptr(FbIntNetwork) inet = NULL;
  double e8;
  float x[16];
  guint8 q[16];

  g_assert_no_error (error);
  e8 = int_vs_float (net, &gen, "w8a8", &inet);
  g_test_message ("largest |int - float| / max |float| of the values: w8a8 %.4f", e8);
  g_assert_cmpfloat (e8, <, 0.05);
  /* the output scale is the one the exporter prints values with */
  g_assert_cmpfloat (fb_int_network_get_tensor_scale (inet, fb_network_get_logits (net)->index), >, 0.0);
  /* the input description: round (x / 0.02) + 100, clipped to u8 */
  for (guint i = 0; i < 16; i++)
    x[i] = (float) i * 0.5f - 3.0f;
  fb_int_network_quantize_input (inet, x, q);
  g_assert_cmpuint (q[0], ==, 0);     /* -3 / 0.02 + 100 = -50 → 0 */
  g_assert_cmpuint (q[4], ==, 50);    /* -1 / 0.02 + 100 */
  g_assert_cmpuint (q[10], ==, 200);  /* 2 / 0.02 + 100 */
  g_assert_cmpuint (q[15], ==, 255);  /* 4.5 / 0.02 + 100 = 325 → 255 */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/int-signed/resnet/plan", test_resnet_plan);
  g_test_add_func ("/int-signed/resnet/close-to-float", test_resnet_close_to_float);
  g_test_add_func ("/int-signed/vector/values", test_vector_values);
  return g_test_run ();
}
