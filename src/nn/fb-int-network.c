/* fb-int-network.c — folding float weights into the integer network, running
 * it with src/kernels, evaluating it on a data set, and post-training
 * calibration of the activation clipping values.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-fake-quant.h"
#include "fb-json.h"
#include "fb-int-network.h"
#include "fb-kernel-pack.h"
#include "fb-nn-ops.h"
#include "fb-supernet.h"

#define MAX_SHIFT_MUL 62   /* conv / depthwise / linear: the rounding term bounds it to 31 anyway */
#define MAX_SHIFT_ADD 31

typedef union {
  FbConvFunc      conv;
  FbLinearFunc    linear;
  FbLinearI32Func linear_i32;
  FbAddFunc       add;
  FbAvgPoolFunc   pool;
  FbPool2dFunc    pool2d;
} KernelFunc;

struct _FbIntNetwork {
  gatomicrefcount ref;
  FbPlan         *plan;
  FbNetwork      *network;
  FbKernelArch    arch;
  guint           n_steps;
  FbIntStep      *steps;
  KernelFunc     *funcs;
  double         *tensor_scale;
  GPtrArray      *buffers;   /* packed weights, kappa, lambda, bias: g_free */
  const guint8  **host_weights; /* per step: conv / depthwise data in the host kernel's order, or NULL */
  guint           n_classes;
  gsize           input_bytes;
  int             input_zero_point;
  /* only with FB_EVAL_STEP_TIMES (else NULL): per image, each step's ns (n_steps + 1 arrays
   * of guint32, the last the whole fb_int_network_run()), appended under step_lock */
  GMutex          step_lock;
  GArray        **step_ns;
};

static int
bits_index (guint bits)
{
  return bits == 8 ? 0 : bits == 4 ? 1 : 2;
}

guint32
fb_fnv1a32 (guint32 hash, const void *data, gsize n)
{
  const guint8 *p = data;

  for (gsize i = 0; i < n; i++)
    {
      hash ^= p[i];
      hash *= 16777619u;
    }
  return hash;
}

/* ---- folding ------------------------------------------------------------- */

static const FbWeightsTensor *
require (FbWeights *w, const FbLayer *l, const char *param, guint n_dims, guint d0, guint d1,
         guint d2, guint d3, const char *origin, GError **error)
{
  guint dims[4] = { d0, d1, d2, d3 };
  return fb_weights_require (w, l->name, param, n_dims, dims, origin, error);
}

/* Levels above zero of a b-bit activation grid: 2^b − 1 unsigned, 2^(b−1) − 1
 * signed (symmetric, CONVENTIONS.md "Signed activations"). */
static double
activation_levels (guint bits, gboolean is_signed)
{
  return is_signed ? (double) ((1u << (bits - 1)) - 1) : (double) ((1u << bits) - 1);
}

/* α of the tensor written by layer @l at @bits, from (l, "act_alpha"). */
static gboolean
activation_scale (FbWeights *w, const FbLayer *l, guint bits, gboolean is_signed, const char *origin,
                  double *scale, GError **error)
{
  const FbWeightsTensor *t = fb_weights_lookup (w, l->name, "act_alpha");
  double alpha;

  if (t == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: tensor (\"%s\", \"act_alpha\") missing: float-only weights need "
                     "calibration first (fb_int_network_calibrate)"), origin, l->name);
      return FALSE;
    }
  if (!require (w, l, "act_alpha", 1, 3, 0, 0, 0, origin, error))
    return FALSE;
  alpha = t->data[bits_index (bits)];
  if (!(alpha > 0.0) || !isfinite (alpha))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: (\"%s\", \"act_alpha\") at %u bits is %g, expected a positive number"),
                   origin, l->name, bits, alpha);
      return FALSE;
    }
  *scale = alpha / activation_levels (bits, is_signed);
  return TRUE;
}

/* A layer reading the network input with zero point zp computes Σ w·(x + zp):
 * per output channel, the Σ w·zp to take away (exact wherever the window lies
 * inside the input; a padded tap contributes 0, not zp, which is the one
 * inexact case, see docs/formats.md). 0 for other layers. */
static gboolean
input_zero_point_sums (FbIntNetwork *self, const FbLayer *l, const gint8 *q, guint c_out, guint row_len,
                       gboolean depthwise, double *zsum, GError **error)
{
  int zp = self->input_zero_point;

  for (guint c = 0; c < c_out; c++)
    zsum[c] = 0.0;
  if (zp == 0 || l->inputs[0] != fb_network_get_input (self->network)->index)
    return TRUE;
  if (!fb_layer_is_weighted (l))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("layer \"%s\": %s reads the network input, whose zero point %d only a conv, "
                     "depthwise or linear layer can take away"), l->name, fb_op_to_string (l->op), zp);
      return FALSE;
    }
  for (guint c = 0; c < c_out; c++)
    {
      gint64 s = 0;
      for (guint i = 0; i < row_len; i++)
        s += q[(gsize) c * row_len + i];
      zsum[c] = (double) zp * (double) s;
    }
  (void) depthwise;
  return TRUE;
}

/* Quantizes @rows rows of @row_len weights: element (r, i) is at
 * w[r * row_stride + i * elem_stride]. Per-row scale (max|w| / (2^(b−1) − 1)
 * or a learned step), or one scale for all rows when @one_scale. */
static gboolean
quantize_weights (const float *w, guint rows, guint row_len, gsize row_stride, gsize elem_stride,
                  guint bits, const float *step, gboolean one_scale, gint8 *q, double *s_w)
{
  int qmax = (1 << (bits - 1)) - 1, qmin = -(1 << (bits - 1));
  double all_max = 0.0;

  for (guint r = 0; r < rows; r++)
    {
      double m = 0.0;
      for (guint i = 0; i < row_len; i++)
        m = MAX (m, fabs (w[r * row_stride + i * elem_stride]));
      s_w[r] = m / qmax;
      all_max = MAX (all_max, m);
    }
  for (guint r = 0; r < rows; r++)
    {
      if (step != NULL)
        s_w[r] = step[one_scale ? 0 : r];
      else if (one_scale)
        s_w[r] = all_max / qmax;
      if (!(s_w[r] > 0.0) || !isfinite (s_w[r]))
        s_w[r] = 1.0;   /* an all-zero row: any scale represents it */
      for (guint i = 0; i < row_len; i++)
        {
          /* Half up, like the quantization-aware trainer (fb-fake-quant.c). */
          double v = floor (w[r * row_stride + i * elem_stride] / s_w[r] + 0.5);
          q[(gsize) r * row_len + i] = (gint8) CLAMP (v, qmin, qmax);
        }
    }
  return TRUE;
}

/* The largest d ≤ @max_d for which round(2^d·mul[c]) and
 * round(2^d·add[c]) + 2^(d−1) all fit in int32; -1 if not even d = 0. */
static int
choose_shift (const double *mul, const double *add, guint n, int max_d)
{
  for (int d = max_d; d >= 0; d--)
    {
      double p = ldexp (1.0, d), r = d > 0 ? ldexp (1.0, d - 1) : 0.0;
      gboolean ok = TRUE;
      for (guint c = 0; c < n && ok; c++)
        {
          double k = nearbyint (p * mul[c]);
          double l = add != NULL ? nearbyint (p * add[c]) + r : 0.0;
          ok = fabs (k) <= G_MAXINT32 && l <= G_MAXINT32 && l >= G_MININT32;
        }
      if (ok)
        return d;
    }
  return -1;
}

static gint32 *
fold_requant (FbIntNetwork *self, const FbLayer *l, const double *mul, const double *add, guint n,
              gint32 **lambda_out, gint32 *shift, GError **error)
{
  int d = choose_shift (mul, add, n, MAX_SHIFT_MUL);
  gint32 *kappa, *lambda;

  if (d < 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("layer \"%s\": requantization offset does not fit int32 even with shift 0 "
                     "(batch-norm or bias values out of range)"), l->name);
      return NULL;
    }
  kappa = g_new (gint32, n);
  lambda = g_new (gint32, n);
  g_ptr_array_add (self->buffers, kappa);
  g_ptr_array_add (self->buffers, lambda);
  for (guint c = 0; c < n; c++)
    {
      kappa[c] = (gint32) nearbyint (ldexp (mul[c], d));
      lambda[c] = (gint32) (nearbyint (ldexp (add[c], d)) + (d > 0 ? ldexp (1.0, d - 1) : 0.0));
    }
  *shift = d;
  *lambda_out = lambda;
  return kappa;
}

/* Learned step per bit-width, if any: [3][rows] (or [3] / [3][1] for the
 * one-scale classifier). */
static gboolean
learned_step (FbWeights *w, const FbLayer *l, guint rows, gboolean one_scale, guint bits,
              const char *origin, const float **step, GError **error)
{
  const FbWeightsTensor *t = fb_weights_lookup (w, l->name, "w_step");

  *step = NULL;
  if (t == NULL)
    return TRUE;
  if (one_scale && (t->n == 3))
    {
      *step = t->data + bits_index (bits);
      return TRUE;
    }
  if (t->n_dims != 2 || t->dims[0] != 3 || t->dims[1] != rows)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: (\"%s\", \"w_step\") has %u elements, expected [3][%u]%s"),
                   origin, l->name, (guint) t->n, rows, one_scale ? " or [3]" : "");
      return FALSE;
    }
  *step = t->data + (gsize) bits_index (bits) * rows;
  return TRUE;
}

/* A conv or depthwise step: weights quantized and packed, batch norm folded
 * into the requantization. */
/* The weights are constants: where the host conv reads them in another order (x86-64 with
 * AVX-512 VNNI), that order is made once here instead of on every call (run_step passes
 * FB_KERNEL_FLAG_HOST_PREPARED); the host depthwise's with its 2-bit outputs' thresholds
 * (from this step's kappa, lambda and shift, which are set by then). Only for a network run
 * by this process's kernels. */
static void
prepare_host_weights (FbIntNetwork *self, guint index, guint w_bits, gboolean dw)
{
  const FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  FbConvParams p = ps->conv;
  gsize n;
  guint8 *block;
  guint8 *aligned;
  FbKernelStatus st;

  if (self->arch != fb_kernel_arch () || (p.flag_relu & FB_KERNEL_FLAGS_SIGNED))
    return;
  /* the depthwise's thresholds need the step's shift; the conv's layout keeps the plan's
   * (measured: conv1 at w2a2 ran 5.4 -> 9.0 us with the step's) */
  if (dw)
    p.out_shift = is->shift;
  n = dw ? fb_depthwise_host_prepared_size (ps->in_bits, ps->out_bits, w_bits, &p)
         : fb_conv_host_prepared_weights_size (ps->in_bits, ps->out_bits, w_bits, &p);
  if (n == 0)
    return;
  block = g_malloc (n + 63);
  g_ptr_array_add (self->buffers, block);
  aligned = block + ((64 - GPOINTER_TO_SIZE (block) % 64) % 64);
  st = dw ? fb_depthwise_host_prepare (ps->in_bits, ps->out_bits, w_bits, &p, is->weights,
                                       is->kappa, is->lambda, aligned)
          : fb_conv_host_prepare_weights (ps->in_bits, ps->out_bits, w_bits, &p, is->weights,
                                          aligned);
  if (st == FB_KERNEL_OK)
    self->host_weights[index] = aligned;
}

static gboolean
fold_conv (FbIntNetwork *self, FbWeights *w, const char *origin, guint index, double s_x, double s_y,
           GError **error)
{
  FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  const FbLayer *l = fb_network_get_layer (self->network, ps->layer);
  guint wb = ps->mid_bits;
  gboolean dw = ps->kind == FB_PLAN_DEPTHWISE;
  guint c_out = l->cout, taps = l->kernel_h * l->kernel_w;
  guint row_len = dw ? taps : taps * l->cin;
  const FbWeightsTensor *wt, *g, *b, *mu, *var;
  const float *step;
  g_autofree gint8 *q = g_new (gint8, (gsize) c_out * row_len);
  g_autofree double *s_w = g_new (double, c_out);
  g_autofree double *mul = g_new (double, c_out);
  g_autofree double *add = g_new (double, c_out);
  g_autofree double *add_zp_fix = g_new (double, c_out);
  guint8 *packed;
  FbKernelStatus st;

  wt = dw ? require (w, l, "weight", 3, l->kernel_h, l->kernel_w, c_out, 0, origin, error)
          : require (w, l, "weight", 4, c_out, l->kernel_h, l->kernel_w, l->cin, origin, error);
  if (wt == NULL ||
      (g = require (w, l, "bn_gamma", 1, c_out, 0, 0, 0, origin, error)) == NULL ||
      (b = require (w, l, "bn_beta", 1, c_out, 0, 0, 0, origin, error)) == NULL ||
      (mu = require (w, l, "bn_mean", 1, c_out, 0, 0, 0, origin, error)) == NULL ||
      (var = require (w, l, "bn_var", 1, c_out, 0, 0, 0, origin, error)) == NULL ||
      !learned_step (w, l, c_out, FALSE, wb, origin, &step, error))
    return FALSE;
  /* Depthwise: channel c's taps are strided by C in [Ky][Kx][C]; the
   * packing helper takes them as [C][Ky][Kx]. */
  quantize_weights (wt->data, c_out, row_len, dw ? 1 : row_len, dw ? c_out : 1, wb, step,
                    FALSE, q, s_w);
  {
    g_autofree double *zsum = g_new (double, c_out);
    if (!input_zero_point_sums (self, l, q, c_out, row_len, dw, zsum, error))
      return FALSE;
    for (guint c = 0; c < c_out; c++)
      add_zp_fix[c] = zsum[c];
  }
  for (guint c = 0; c < c_out; c++)
    {
      double sigma;
      if (var->data[c] < 0.0f)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       _("%s: (\"%s\", \"bn_var\")[%u] is %g, a variance cannot be negative"),
                       origin, l->name, c, var->data[c]);
          return FALSE;
        }
      sigma = sqrt ((double) var->data[c] + (double) FB_NN_BN_EPS);
      double gs = g->data[c] / sigma;
      mul[c] = gs * s_x * s_w[c] / s_y;
      add[c] = (b->data[c] - gs * mu->data[c]) / s_y - mul[c] * add_zp_fix[c];
    }
  packed = g_malloc0 (MAX (ps->weight_bytes, 1));
  g_ptr_array_add (self->buffers, packed);
  st = dw ? fb_kernel_pack_depthwise_weights (q, c_out, l->kernel_h, l->kernel_w, wb, packed)
          : fb_kernel_pack_conv_weights (q, c_out, row_len, wb, packed);
  if (st != FB_KERNEL_OK)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("layer \"%s\": packing %u-bit weights: %s"),
                   l->name, wb, fb_kernel_status_to_string (st));
      return FALSE;
    }
  is->weights = packed;
  if ((is->kappa = fold_requant (self, l, mul, add, c_out, (gint32 **) &is->lambda,
                                 &is->shift, error)) == NULL)
    return FALSE;
  is->out_scale = s_y;
  self->funcs[index].conv = dw ? fb_depthwise_lookup (ps->in_bits, ps->out_bits, wb)
                               : fb_conv_lookup (ps->in_bits, ps->out_bits, wb);
  prepare_host_weights (self, index, wb, dw);
  return TRUE;
}

/* A linear step: int8 requantized outputs, or the classifier's int32 logits. */
static gboolean
fold_linear (FbIntNetwork *self, FbWeights *w, const char *origin, guint index, double s_x, double s_y,
             GError **error)
{
  FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  const FbLayer *l = fb_network_get_layer (self->network, ps->layer);
  guint wb = ps->mid_bits;
  gboolean logits = ps->kind == FB_PLAN_LINEAR_I32;
  guint c_out = l->cout, c_in = l->cin;
  const FbWeightsTensor *wt, *bias;
  const float *step;
  g_autofree gint8 *q = g_new (gint8, (gsize) c_out * c_in);
  g_autofree double *s_w = g_new (double, c_out);
  guint8 *packed;

  if ((wt = require (w, l, "weight", 2, c_out, c_in, 0, 0, origin, error)) == NULL ||
      (bias = require (w, l, "bias", 1, c_out, 0, 0, 0, origin, error)) == NULL ||
      !learned_step (w, l, c_out, logits, wb, origin, &step, error))
    return FALSE;
  g_autofree double *zsum = g_new (double, c_out);
  /* The classifier's logits must share one unit for the argmax. */
  quantize_weights (wt->data, c_out, c_in, c_in, 1, wb, step, logits, q, s_w);
  if (!input_zero_point_sums (self, l, q, c_out, c_in, FALSE, zsum, error))
    return FALSE;
  packed = g_malloc0 (MAX (ps->weight_bytes, 1));
  g_ptr_array_add (self->buffers, packed);
  fb_kernel_pack_conv_weights (q, c_out, c_in, wb, packed);
  is->weights = packed;
  if (logits)
    {
      gint32 *b32 = g_new (gint32, c_out);
      g_ptr_array_add (self->buffers, b32);
      is->out_scale = s_x * s_w[0];
      for (guint c = 0; c < c_out; c++)
        b32[c] = (gint32) CLAMP (nearbyint (bias->data[c] / is->out_scale - zsum[c]), G_MININT32,
                                 G_MAXINT32);
      is->bias = b32;
      self->tensor_scale[l->output] = is->out_scale;
      self->funcs[index].linear_i32 = fb_linear_i32_lookup (ps->in_bits, wb);
    }
  else
    {
      g_autofree double *mul = g_new (double, c_out);
      g_autofree double *add = g_new (double, c_out);
      for (guint c = 0; c < c_out; c++)
        {
          mul[c] = s_x * s_w[c] / s_y;
          add[c] = bias->data[c] / s_y - mul[c] * zsum[c];
        }
      if ((is->kappa = fold_requant (self, l, mul, add, c_out, (gint32 **) &is->lambda,
                                     &is->shift, error)) == NULL)
        return FALSE;
      is->out_scale = s_y;
      self->funcs[index].linear = fb_linear_lookup (ps->in_bits, ps->out_bits, wb);
    }
  return TRUE;
}

/* An add step: both inputs rescaled to the output's scale. */
static gboolean
fold_add (FbIntNetwork *self, guint index, double s_x, double s_y, GError **error)
{
  FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  const FbLayer *l = fb_network_get_layer (self->network, ps->layer);
  double m[2] = { s_x / s_y, self->tensor_scale[l->inputs[1]] / s_y };
  int d = choose_shift (m, NULL, 2, MAX_SHIFT_ADD);
  if (d < 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("layer \"%s\": input/output scale ratio too large for int32"), l->name);
      return FALSE;
    }
  is->shift = d;
  is->m1 = (gint32) nearbyint (ldexp (m[0], d));
  is->m2 = (gint32) nearbyint (ldexp (m[1], d));
  is->out_scale = s_y;
  self->funcs[index].add = fb_add_lookup (ps->in_bits, ps->mid_bits, ps->out_bits);
  return TRUE;
}

static gboolean
fold_step (FbIntNetwork *self, FbWeights *w, const char *origin, guint index, GError **error)
{
  FbNetwork *net = self->network;
  FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  const FbLayer *l = fb_network_get_layer (net, ps->layer);
  const FbTensor *out = fb_network_get_tensor (net, l->output);
  double s_x = self->tensor_scale[l->inputs[0]];
  double s_y = 0.0;

  if (out->kind == FB_TENSOR_ACTIVATION)
    {
      if (!activation_scale (w, l, ps->out_bits, out->is_signed, origin, &s_y, error))
        return FALSE;
    }
  else if (out->kind == FB_TENSOR_POOLED)
    s_y = s_x;
  if (!fb_layer_is_weighted (l) && !input_zero_point_sums (self, l, NULL, 0, 0, FALSE, NULL, error))
    return FALSE;

  switch (ps->kind)
    {
    case FB_PLAN_CONV:
    case FB_PLAN_DEPTHWISE:
      if (!fold_conv (self, w, origin, index, s_x, s_y, error))
        return FALSE;
      break;
    case FB_PLAN_LINEAR:
    case FB_PLAN_LINEAR_I32:
      if (!fold_linear (self, w, origin, index, s_x, s_y, error))
        return FALSE;
      break;
    case FB_PLAN_ADD:
      if (!fold_add (self, index, s_x, s_y, error))
        return FALSE;
      break;
    case FB_PLAN_AVGPOOL:
      is->out_scale = s_x;
      self->funcs[index].pool = fb_avgpool_lookup (ps->in_bits);
      break;
    case FB_PLAN_AVGPOOL2D:
      is->out_scale = s_x;
      self->funcs[index].pool2d = fb_avgpool2d_lookup (ps->in_bits);
      break;
    case FB_PLAN_MAXPOOL2D:
      is->out_scale = s_x;
      self->funcs[index].pool2d = fb_maxpool2d_lookup (ps->in_bits);
      break;
    }
  if (self->tensor_scale[l->output] == 0.0)
    self->tensor_scale[l->output] = is->out_scale;
  if (self->funcs[index].conv == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("layer \"%s\": no kernel %s"), l->name, ps->kernel);
      return FALSE;
    }
  return TRUE;
}

FbIntNetwork *
fb_int_network_new (FbPrecisionConfig *config,
                    FbWeights         *weights,
                    const char        *weights_origin,
                    FbKernelArch       arch,
                    GError           **error)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  g_autoptr(FbIntNetwork) self = NULL;
  const char *origin = weights_origin != NULL ? weights_origin : "weights";
  const FbTensor *input = fb_network_get_input (net);
  const FbTensor *logits = fb_network_get_logits (net);
  FbPlan *plan;

  if (g_strcmp0 (fb_weights_get_network_sha256 (weights), fb_network_get_sha256 (net)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("%s: weights made for network \"%s\" (topology %.12s…), not for \"%s\" (%.12s…)"),
                   origin, fb_weights_get_network_name (weights),
                   fb_weights_get_network_sha256 (weights), fb_network_get_name (net),
                   fb_network_get_sha256 (net));
      return NULL;
    }
  if ((plan = fb_plan_new (config, arch, error)) == NULL)
    return NULL;

  self = g_new0 (FbIntNetwork, 1);
  g_atomic_ref_count_init (&self->ref);
  self->plan = plan;
  self->network = fb_network_ref (net);
  self->arch = arch;
  self->n_steps = fb_plan_get_n_steps (plan);
  self->steps = g_new0 (FbIntStep, self->n_steps);
  self->funcs = g_new0 (KernelFunc, self->n_steps);
  self->host_weights = g_new0 (const guint8 *, self->n_steps);
  self->tensor_scale = g_new0 (double, fb_network_get_n_tensors (net));
  self->buffers = g_ptr_array_new_with_free_func (g_free);
  self->n_classes = logits->shape.c;
  self->input_bytes = (gsize) input->shape.h * input->shape.w * input->shape.c;
  self->tensor_scale[input->index] = fb_network_get_input_scale (net);
  self->input_zero_point = fb_network_get_input_zero_point (net);
  g_mutex_init (&self->step_lock);
  if (g_getenv ("FB_EVAL_STEP_TIMES") != NULL)
    {
      self->step_ns = g_new0 (GArray *, self->n_steps + 1);
      for (guint i = 0; i <= self->n_steps; i++)
        self->step_ns[i] = g_array_new (FALSE, FALSE, sizeof (guint32));
    }

  for (guint i = 0; i < self->n_steps; i++)
    {
      self->steps[i].step = fb_plan_get_step (plan, i);
      if (!fold_step (self, weights, origin, i, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

FbIntNetwork *
fb_int_network_ref (FbIntNetwork *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_int_network_unref (FbIntNetwork *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_clear_pointer (&self->plan, fb_plan_unref);
  g_clear_pointer (&self->network, fb_network_unref);
  g_free (self->steps);
  g_free (self->funcs);
  g_free (self->host_weights);
  g_free (self->tensor_scale);
  g_ptr_array_unref (self->buffers);
  for (guint i = 0; self->step_ns != NULL && i <= self->n_steps; i++)
    g_array_unref (self->step_ns[i]);
  g_free (self->step_ns);
  g_mutex_clear (&self->step_lock);
  g_free (self);
}

FbPlan *fb_int_network_get_plan (FbIntNetwork *self) { return self->plan; }
guint fb_int_network_get_n_steps (FbIntNetwork *self) { return self->n_steps; }
guint fb_int_network_get_n_classes (FbIntNetwork *self) { return self->n_classes; }
FbNetwork *fb_int_network_get_network (FbIntNetwork *self) { return self->network; }
FbKernelArch fb_int_network_get_arch (FbIntNetwork *self) { return self->arch; }

const FbIntStep *
fb_int_network_get_step (FbIntNetwork *self, guint index)
{
  g_return_val_if_fail (index < self->n_steps, NULL);
  return &self->steps[index];
}

double
fb_int_network_get_tensor_scale (FbIntNetwork *self, guint tensor)
{
  g_return_val_if_fail (tensor < fb_network_get_n_tensors (self->network), 0.0);
  return self->tensor_scale[tensor];
}

/* ---- running ------------------------------------------------------------- */

gboolean
fb_int_network_run_step (FbIntNetwork *self,
                         guint         index,
                         guint8       *arena,
                         guint8       *scratch,
                         GError      **error)
{
  gsize scratch_bytes = fb_plan_get_scratch_bytes (self->plan);
  const FbIntStep *is = &self->steps[index];
  const FbPlanStep *ps = is->step;
  const guint8 *in = arena + ps->input_offset;
  guint8 *out = arena + ps->output_offset;
  FbKernelStatus st = FB_KERNEL_OK;

  g_return_val_if_fail (index < self->n_steps, FALSE);
  if (self->arch != fb_kernel_arch ())
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                   _("integer network lowered for another kernel architecture than this build's"));
      return FALSE;
    }
  switch (ps->kind)
    {
    case FB_PLAN_CONV:
    case FB_PLAN_DEPTHWISE:
      {
        FbConvParams p = ps->conv;
        const guint8 *w = is->weights;
        p.out_shift = is->shift;
        if (self->host_weights[index] != NULL)
          {
            w = self->host_weights[index];
            p.flag_relu |= FB_KERNEL_FLAG_HOST_PREPARED;
          }
        st = self->funcs[index].conv (in, w, is->kappa, is->lambda, out, &p, scratch,
                                      scratch_bytes);
      }
      break;
    case FB_PLAN_LINEAR:
      st = self->funcs[index].linear (in, is->weights, is->kappa, is->lambda, out, ps->dim_vec,
                                      ps->num_o_neurons, is->shift, ps->conv.flag_relu, scratch,
                                      scratch_bytes);
      break;
    case FB_PLAN_LINEAR_I32:
      st = self->funcs[index].linear_i32 (in, is->weights, is->bias, (gint32 *) (gpointer) out,
                                          ps->dim_vec, ps->num_o_neurons, ps->conv.flag_relu,
                                          scratch, scratch_bytes);
      break;
    case FB_PLAN_ADD:
      st = self->funcs[index].add (in, arena + ps->input2_offset, out, ps->dim_x, ps->dim_y, ps->ch,
                                   is->m1, is->m2, is->shift, ps->conv.flag_relu);
      break;
    case FB_PLAN_AVGPOOL:
      st = self->funcs[index].pool (in, out, ps->dim_x, ps->dim_y, ps->ch, ps->conv.flag_relu);
      break;
    case FB_PLAN_AVGPOOL2D:
    case FB_PLAN_MAXPOOL2D:
      st = self->funcs[index].pool2d (in, out, &ps->conv);
      break;
    }
  if (st != FB_KERNEL_OK)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("step %u (layer \"%s\", %s): %s"), index,
                   fb_network_get_layer (self->network, ps->layer)->name, ps->kernel,
                   fb_kernel_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}

void
fb_int_network_quantize_input (FbIntNetwork *self, const float *x, guint8 *dst)
{
  FbNetwork *net = self->network;
  double inv = 1.0 / fb_network_get_input_scale (net);
  gboolean is_signed = fb_network_get_input_signed (net);
  double lo = is_signed ? -128.0 : 0.0, hi = is_signed ? 127.0 : 255.0;

  for (gsize i = 0; i < self->input_bytes; i++)
    {
      double v = CLAMP (nearbyint (x[i] * inv) + self->input_zero_point, lo, hi);
      dst[i] = (guint8) ((gint) v & 0xFF);   /* i8: two's complement */
    }
}

static guint64
step_clock_ns (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (guint64) t.tv_sec * 1000000000u + (guint64) t.tv_nsec;
}

static int
cmp_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

void
fb_int_network_report_step_times (FbIntNetwork *self)
{
  double sum_med = 0.0;

  if (self->step_ns == NULL)
    return;
  g_mutex_lock (&self->step_lock);
  for (guint i = 0; i <= self->n_steps; i++)
    {
      GArray *a = self->step_ns[i];
      const char *what = i < self->n_steps ? self->steps[i].step->kernel : "whole run";
      double mean = 0.0, med, p10;
      if (a->len == 0)
        continue;
      for (guint k = 0; k < a->len; k++)
        mean += g_array_index (a, guint32, k);
      mean /= a->len;
      g_array_sort (a, cmp_u32);
      med = g_array_index (a, guint32, a->len / 2) / 1000.0;
      p10 = g_array_index (a, guint32, a->len / 10) / 1000.0;
      if (i < self->n_steps)
        sum_med += med;
      fprintf (stderr, "{\"step\": %u, \"kernel\": \"%s\", \"images\": %u, \"median_us\": %.3f, "
               "\"p10_us\": %.3f, \"mean_us\": %.3f%s", i, what, a->len, med, p10, mean / 1000.0,
               i < self->n_steps ? "}\n" : "");
      if (i == self->n_steps)
        fprintf (stderr, ", \"steps_median_sum_us\": %.3f}\n", sum_med);
      g_array_set_size (a, 0);
    }
  g_mutex_unlock (&self->step_lock);
}

gboolean
fb_int_network_run (FbIntNetwork *self,
                    const guint8 *image,
                    gint32       *logits,
                    guint8       *arena,
                    guint8       *scratch,
                    GError      **error)
{
  /* FB_EVAL_STEP_TIMES: each step's wall time, appended to self->step_ns */
  guint32 *ns = self->step_ns != NULL ? g_newa (guint32, self->n_steps + 1) : NULL;
  guint64 t0 = ns != NULL ? step_clock_ns () : 0, t = t0;

  memcpy (arena + fb_plan_get_input_offset (self->plan), image, self->input_bytes);
  for (guint i = 0; i < self->n_steps; i++)
    {
      if (!fb_int_network_run_step (self, i, arena, scratch, error))
        return FALSE;
      if (ns != NULL)
        {
          guint64 t1 = step_clock_ns ();
          ns[i] = (guint32) MIN (t1 - t, G_MAXUINT32);
          t = t1;
        }
    }
  memcpy (logits, arena + fb_plan_get_logits_offset (self->plan), self->n_classes * sizeof (gint32));
  if (ns != NULL)
    {
      ns[self->n_steps] = (guint32) MIN (step_clock_ns () - t0, G_MAXUINT32);
      g_mutex_lock (&self->step_lock);
      for (guint i = 0; i <= self->n_steps; i++)
        g_array_append_val (self->step_ns[i], ns[i]);
      g_mutex_unlock (&self->step_lock);
    }
  return TRUE;
}

/* ---- evaluation ---------------------------------------------------------- */

#define EVAL_CHUNK 128

typedef struct {
  FbIntNetwork *net;
  FbDataset    *dataset;
  guint         n;
  gint32       *logits;      /* [n][classes] */
  GCancellable *cancellable;
  GMutex        lock;
  GError       *error;       /* first failure */
  gint          correct;
} EvalJob;

static void
eval_chunk (gpointer data, gpointer user_data)
{
  EvalJob *job = user_data;
  guint first = GPOINTER_TO_UINT (data) - 1, last = MIN (first + EVAL_CHUNK, job->n);
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (job->net->plan) + 4);
  g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (job->net->plan) + 1);
  guint k = job->net->n_classes, correct = 0;

  for (guint i = first; i < last; i++)
    {
      g_autoptr(GError) error = NULL;
      gint32 *lg = job->logits + (gsize) i * k;
      guint best = 0;

      if (g_cancellable_is_cancelled (job->cancellable) || g_atomic_pointer_get (&job->error) != NULL)
        break;
      if (!fb_int_network_run (job->net, fb_dataset_get_image (job->dataset, i), lg, arena,
                               scratch, &error))
        {
          g_mutex_lock (&job->lock);
          if (job->error == NULL)
            g_atomic_pointer_set (&job->error, g_steal_pointer (&error));
          g_mutex_unlock (&job->lock);
          break;
        }
      for (guint c = 1; c < k; c++)
        if (lg[c] > lg[best])
          best = c;
      correct += best == fb_dataset_get_label (job->dataset, i);
    }
  g_atomic_int_add (&job->correct, (gint) correct);
}

gboolean
fb_int_network_evaluate (FbIntNetwork    *self,
                         FbDataset       *dataset,
                         guint            limit,
                         guint            n_threads,
                         GCancellable    *cancellable,
                         FbIntEvalResult *result,
                         GError         **error)
{
  const FbTensor *input = fb_network_get_input (self->network);
  EvalJob job = { .net = self, .dataset = dataset, .cancellable = cancellable };
  g_autofree gint32 *logits = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint32 hash = FB_FNV1A32_INIT;

  if (fb_dataset_get_height (dataset) != input->shape.h ||
      fb_dataset_get_width (dataset) != input->shape.w ||
      fb_dataset_get_channels (dataset) != input->shape.c ||
      fb_dataset_get_n_classes (dataset) > self->n_classes)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("%s: %u×%u images of %u classes do not fit network \"%s\" (input %u×%u×%u, %u classes)"),
                   fb_dataset_get_path (dataset), fb_dataset_get_height (dataset),
                   fb_dataset_get_width (dataset), fb_dataset_get_n_classes (dataset),
                   fb_network_get_name (self->network), input->shape.h, input->shape.w,
                   input->shape.c, self->n_classes);
      return FALSE;
    }
  job.n = limit == 0 ? fb_dataset_get_n_images (dataset) : MIN (limit, fb_dataset_get_n_images (dataset));
  job.logits = logits = g_new0 (gint32, (gsize) MAX (job.n, 1) * self->n_classes);
  g_mutex_init (&job.lock);
  if (!fb_nn_run_chunks (eval_chunk, &job, job.n, EVAL_CHUNK, n_threads, error))
    {
      g_mutex_clear (&job.lock);
      return FALSE;
    }
  g_mutex_clear (&job.lock);

  if (job.error != NULL)
    {
      g_propagate_error (error, job.error);
      return FALSE;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  for (gsize i = 0; i < (gsize) job.n * self->n_classes; i++)
    {
      guint32 le = GUINT32_TO_LE ((guint32) logits[i]);
      hash = fb_fnv1a32 (hash, &le, 4);
    }
  result->n_images = job.n;
  result->correct = (guint) job.correct;
  result->accuracy = job.n ? (double) job.correct / job.n : 0.0;
  result->logits_fnv1a = hash;
  result->seconds = (g_get_monotonic_time () - t0) / 1e6;
  fb_int_network_report_step_times (self);
  return TRUE;
}

/* ---- calibration --------------------------------------------------------- */

#define HIST_BINS 2048
#define CALIB_BATCH 100

/* Histogram of the positive values of one tensor over [0, range); the
 * range doubles (pairs of bins merge) when a larger value arrives. Exact
 * zeros (ReLU) are counted apart: they quantize without error. A signed
 * tensor's histogram holds |x| (its grid is symmetric). */
typedef struct {
  double  range;
  double  zeros;
  double  bins[HIST_BINS];
} Histogram;

static void
histogram_add (Histogram *h, const float *x_in, gsize n, gboolean absolute)
{
  g_autofree float *abs_copy = NULL;
  const float *x = x_in;
  float m = 0.0f;

  if (absolute)
    {
      abs_copy = g_new (float, MAX (n, 1));
      for (gsize i = 0; i < n; i++)
        abs_copy[i] = fabsf (x_in[i]);
      x = abs_copy;
    }
  for (gsize i = 0; i < n; i++)
    m = MAX (m, x[i]);
  if (m <= 0.0f)
    {
      h->zeros += n;
      return;
    }
  if (h->range == 0.0)
    h->range = m * 1.0001;
  while (m >= h->range)
    {
      for (guint i = 0; i < HIST_BINS / 2; i++)
        h->bins[i] = h->bins[2 * i] + h->bins[2 * i + 1];
      memset (h->bins + HIST_BINS / 2, 0, sizeof h->bins / 2);
      h->range *= 2.0;
    }
  {
    float scale = (float) (HIST_BINS / h->range);
    for (gsize i = 0; i < n; i++)
      {
        if (x[i] <= 0.0f)
          h->zeros++;
        else
          h->bins[MIN ((guint) (x[i] * scale), HIST_BINS - 1)]++;
      }
  }
}

/* The clipping value minimizing the mean squared quantization error of the
 * histogram (bin centres) on a grid of @bits levels (unsigned, or the
 * positive half of the symmetric signed grid). */
static double
histogram_best_alpha (const Histogram *h, guint bits, gboolean is_signed)
{
  double width = h->range / HIST_BINS, best = h->range, best_err = INFINITY;
  double levels = activation_levels (bits, is_signed);
  guint top = HIST_BINS;

  while (top > 1 && h->bins[top - 1] == 0.0)
    top--;
  if (h->range == 0.0)
    return 1.0;   /* an all-zero tensor: any α */
  for (guint k = 1; k <= top; k++)
    {
      double alpha = k * width, step = alpha / levels, err = 0.0;
      for (guint i = 0; i < top; i++)
        {
          double v, q;
          if (h->bins[i] == 0.0)
            continue;
          v = (i + 0.5) * width;
          q = v >= alpha ? alpha : step * nearbyint (v / step);
          err += h->bins[i] * (v - q) * (v - q);
        }
      if (err < best_err)
        {
          best_err = err;
          best = alpha;
        }
    }
  return best;
}

gboolean
fb_int_network_needs_calibration (FbNetwork *network, FbWeights *weights)
{
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      if (fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_ACTIVATION &&
          fb_weights_lookup (weights, l->name, "act_alpha") == NULL)
        return TRUE;
    }
  return FALSE;
}

/* Windowed average / max pool of a batch of @n HWC tensors in float (the
 * same window rules as the kernels: padding ignored by the max, counted as
 * zeros by the average only with count_include_pad). */
static void
float_pool2d (const FbLayer *l, guint n, const float *x, float *y)
{
  guint H = l->in_shape.h, W = l->in_shape.w, C = l->in_shape.c;
  guint OH = l->out_shape.h, OW = l->out_shape.w;

  for (guint b = 0; b < n; b++)
    for (guint oy = 0; oy < OH; oy++)
      for (guint ox = 0; ox < OW; ox++)
        {
          int iy = (int) (oy * l->stride_h) - (int) l->pad_top;
          int ix = (int) (ox * l->stride_w) - (int) l->pad_left;
          int y0 = MAX (iy, 0), y1 = MIN (iy + (int) l->kernel_h, (int) H);
          int x0 = MAX (ix, 0), x1 = MIN (ix + (int) l->kernel_w, (int) W);
          double count = l->count_include_pad ? (double) l->kernel_h * l->kernel_w
                                              : (double) (y1 - y0) * (x1 - x0);
          float *out = y + (((gsize) b * OH + oy) * OW + ox) * C;
          for (guint c = 0; c < C; c++)
            {
              double acc = l->op == FB_OP_MAX_POOL2D ? -INFINITY : 0.0;
              for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                  {
                    double v = x[(((gsize) b * H + yy) * W + xx) * C + c];
                    acc = l->op == FB_OP_MAX_POOL2D ? MAX (acc, v) : acc + v;
                  }
              out[c] = (float) (l->op == FB_OP_MAX_POOL2D ? acc : acc / count);
            }
        }
}

/* A bounded ReLU's bound (ReLU6 from an imported Clip): the tensor
 * (layer, "relu_max") [1], 0 when the ReLU is unbounded. */
static float
relu_max_of (FbWeights *w, const FbLayer *l)
{
  const FbWeightsTensor *t = l->relu ? fb_weights_lookup (w, l->name, "relu_max") : NULL;

  return t != NULL && t->n == 1 && t->data[0] > 0.0f ? t->data[0] : 0.0f;
}

/* The float forward of the trainer's evaluation mode (BN with running
 * statistics, a bounded ReLU clamped at its bound as the trainer does),
 * layer by layer with the ops of fb-nn-ops.h, keeping every tensor of the
 * batch. */
static gboolean
float_forward (FbNetwork *net, FbWeights *w, const char *origin, float **act, guint n,
               float *scratch, float *z, GError **error)
{
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const float *x = act[l->inputs[0]];
      float *y = act[l->output];
      gsize m = (gsize) n * l->out_shape.h * l->out_shape.w;
      FbNnConv g;

      switch (l->op)
        {
        case FB_OP_CONV2D:
        case FB_OP_DEPTHWISE_CONV2D:
          {
            const FbWeightsTensor *wt = fb_weights_lookup (w, l->name, "weight");
            const FbWeightsTensor *ga = fb_weights_lookup (w, l->name, "bn_gamma");
            const FbWeightsTensor *be = fb_weights_lookup (w, l->name, "bn_beta");
            const FbWeightsTensor *mu = fb_weights_lookup (w, l->name, "bn_mean");
            const FbWeightsTensor *va = fb_weights_lookup (w, l->name, "bn_var");
            if (wt == NULL || ga == NULL || be == NULL || mu == NULL || va == NULL ||
                wt->n != l->n_weights || ga->n != l->cout || be->n != l->cout ||
                mu->n != l->cout || va->n != l->cout)
              {
                g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                             _("%s: layer \"%s\" lacks weight or batch-norm tensors of the expected size"),
                             origin, l->name);
                return FALSE;
              }
            fb_nn_conv_init (&g, n, l->in_shape.h, l->in_shape.w, l->cin, l->cout, l->kernel_h,
                             l->kernel_w, l->stride_h, l->stride_w, l->pad_top, l->pad_bottom,
                             l->pad_left, l->pad_right);
            if (l->op == FB_OP_CONV2D)
              fb_nn_conv2d_forward (&g, x, wt->data, z, scratch);
            else
              fb_nn_depthwise_forward (&g, x, wt->data, z);
            fb_nn_batch_norm_eval_forward ((guint) m, l->cout, z, ga->data, be->data, mu->data,
                                           va->data, l->relu, y);
          }
          break;
        case FB_OP_LINEAR:
          {
            const FbWeightsTensor *wt = fb_weights_lookup (w, l->name, "weight");
            const FbWeightsTensor *b = fb_weights_lookup (w, l->name, "bias");
            if (wt == NULL || b == NULL || wt->n != (gsize) l->cin * l->cout || b->n != l->cout)
              {
                g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                             _("%s: layer \"%s\" lacks weight or bias tensors of the expected size"),
                             origin, l->name);
                return FALSE;
              }
            fb_nn_linear_forward (n, l->cin, l->cout, x, wt->data, b->data, y);
            if (l->relu)
              fb_nn_relu_forward ((gsize) n * l->cout, y, y);
          }
          break;
        case FB_OP_ADD:
          fb_nn_add_forward (m * l->cout, x, act[l->inputs[1]], l->relu, y);
          break;
        case FB_OP_GLOBAL_AVG_POOL:
          fb_nn_global_avg_pool_forward (n, l->in_shape.h * l->in_shape.w, l->in_shape.c, x, y);
          break;
        case FB_OP_AVG_POOL2D:
        case FB_OP_MAX_POOL2D:
          float_pool2d (l, n, x, y);
          break;
        }
      {
        float bound = relu_max_of (w, l);
        gsize size = (gsize) n * l->out_shape.h * l->out_shape.w * l->out_shape.c;
        for (gsize k = 0; bound > 0.0f && k < size; k++)
          y[k] = MIN (y[k], bound);
      }
    }
  return TRUE;
}

static void
dataset_input (gpointer user_data, guint index, float *dst)
{
  /* The real values of the input codes (the dataset knows the network's
   * input description). */
  fb_dataset_get_float (user_data, index, dst);
}

FbWeights *
fb_int_network_calibrate (FbNetwork    *network,
                          FbWeights    *weights,
                          const char   *weights_origin,
                          FbDataset    *train,
                          guint         n_images,
                          GCancellable *cancellable,
                          GError      **error)
{
  const FbTensor *input = fb_network_get_input (network);

  if (fb_dataset_get_height (train) != input->shape.h || fb_dataset_get_width (train) != input->shape.w ||
      fb_dataset_get_channels (train) != input->shape.c)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: images are %u×%u, network \"%s\" takes %u×%u×%u"),
                   fb_dataset_get_path (train), fb_dataset_get_height (train),
                   fb_dataset_get_width (train), fb_network_get_name (network), input->shape.h,
                   input->shape.w, input->shape.c);
      return NULL;
    }
  n_images = n_images == 0 ? fb_dataset_get_n_images (train) : MIN (n_images, fb_dataset_get_n_images (train));
  return fb_int_network_calibrate_with (network, weights, weights_origin, dataset_input, train, n_images,
                                        cancellable, error);
}

/* Runs the float model over @n_images inputs in batches of CALIB_BATCH and
 * adds every activation tensor to its histogram (|x| for a signed one). */
static gboolean
collect_histograms (FbNetwork *network, FbWeights *weights, const char *origin, FbIntInputFunc input_func,
                    gpointer user_data, guint n_images, Histogram *hist, GCancellable *cancellable,
                    GError **error)
{
  const FbTensor *input = fb_network_get_input (network);
  guint n_tensors = fb_network_get_n_tensors (network);
  gsize px = (gsize) input->shape.h * input->shape.w * input->shape.c;
  g_autofree float *scratch = NULL, *z = NULL;
  g_autofree float **act = g_new0 (float *, n_tensors);
  gsize max_out = 0, max_scratch = 0;
  gboolean ok = TRUE;

  for (guint t = 0; t < n_tensors; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (network, t);
      act[t] = g_new (float, (gsize) CALIB_BATCH * ten->shape.h * ten->shape.w * ten->shape.c);
    }
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      FbNnConv g;
      max_out = MAX (max_out, (gsize) CALIB_BATCH * l->out_shape.h * l->out_shape.w * l->out_shape.c);
      if (l->op == FB_OP_CONV2D)
        {
          fb_nn_conv_init (&g, CALIB_BATCH, l->in_shape.h, l->in_shape.w, l->cin, l->cout,
                           l->kernel_h, l->kernel_w, l->stride_h, l->stride_w, l->pad_top,
                           l->pad_bottom, l->pad_left, l->pad_right);
          max_scratch = MAX (max_scratch, fb_nn_conv2d_scratch_size (&g));
        }
    }
  scratch = g_new (float, MAX (max_scratch, 1));
  z = g_new (float, max_out);

  for (guint first = 0; first < n_images && ok; first += CALIB_BATCH)
    {
      guint n = MIN (CALIB_BATCH, n_images - first);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      for (guint k = 0; k < n; k++)
        input_func (user_data, first + k, act[input->index] + k * px);
      ok = float_forward (network, weights, origin, act, n, scratch, z, error);
      for (guint t = 0; t < n_tensors && ok; t++)
        {
          const FbTensor *ten = fb_network_get_tensor (network, t);
          if (ten->kind == FB_TENSOR_ACTIVATION)
            histogram_add (&hist[t], act[t], (gsize) n * ten->shape.h * ten->shape.w * ten->shape.c,
                           ten->is_signed);
        }
    }
  for (guint t = 0; t < n_tensors; t++)
    g_free (act[t]);
  return ok;
}

/* act_alpha [α8, α4, α2] of every activation tensor, from its histogram.
 * A bounded ReLU's α is capped at the bound (as the quantization-aware
 * trainer caps it): the histogram holds the clamped values already, but
 * the MSE optimum may lie a bin above the bound. */
static void
add_activation_alphas (FbNetwork *network, FbWeights *weights, const Histogram *hist, FbWeights *out)
{
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      const FbTensor *ten = fb_network_get_tensor (network, l->output);
      float bound = relu_max_of (weights, l);
      guint three = 3;
      float *alpha;
      if (ten->kind != FB_TENSOR_ACTIVATION)
        continue;
      alpha = fb_weights_add (out, l->name, "act_alpha", 1, &three);
      for (guint b = 0; b < 3; b++)
        {
          alpha[b] = (float) histogram_best_alpha (&hist[ten->index], fb_fake_quant_index_bits (b),
                                                   ten->is_signed);
          if (bound > 0.0f)
            alpha[b] = MIN (alpha[b], bound);
        }
    }
}

/* Weight steps: the per-channel MSE optimum per bit-width (the
 * quantization-aware trainer's starting point), not max|w|: at 4 and 2
 * bits clipping the few largest weights loses far less. */
static void
add_weight_steps (FbNetwork *network, FbWeights *weights, FbWeights *out)
{
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      const FbWeightsTensor *wt = fb_weights_lookup (weights, l->name, "weight");
      gboolean one = fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_LOGITS;
      guint cout = l->cout, dims[2] = { 3, cout }, outer, n_ch, inner;
      float *step;
      if (!fb_layer_is_weighted (l) || wt == NULL)
        continue;
      if (one)
        outer = 1, n_ch = 1, inner = (guint) wt->n;
      else if (l->op == FB_OP_DEPTHWISE_CONV2D)
        outer = l->kernel_h * l->kernel_w, n_ch = cout, inner = 1;
      else
        outer = 1, n_ch = cout, inner = (guint) (wt->n / cout);
      step = fb_weights_add (out, l->name, "w_step", 2, dims);
      /* 8 bits: CONVENTIONS.md's max|w| / 127 (clipping gains nothing there). */
      for (gsize e = 0; e < wt->n; e++)
        {
          guint c = one ? 0 : l->op == FB_OP_DEPTHWISE_CONV2D ? (guint) (e % cout) : (guint) (e / inner);
          step[c] = MAX (step[c], fabsf (wt->data[e]) / 127.0f);
        }
      for (guint c = 0; c < cout; c++)
        step[c] = step[one ? 0 : c] > 0.0f ? step[one ? 0 : c] : 1.0f;
      for (guint b = 1; b < 3; b++)
        {
          fb_fake_quant_weights_init_step (outer, n_ch, inner, wt->data, fb_fake_quant_index_bits (b),
                                           step + (gsize) b * cout);
          for (guint c = 1; one && c < cout; c++)
            step[(gsize) b * cout + c] = step[(gsize) b * cout];
        }
    }
}

/* Provenance: a deep copy of the original's (json_node_copy would share
 * nested objects between the two weights) plus what calibration did. */
static void
set_calibration_provenance (FbWeights *weights, FbWeights *out, guint n_images)
{
  JsonObject *training = fb_weights_get_training (weights);
  g_autoptr(JsonObject) copy = NULL;

  copy = fb_json_object_copy_deep (training);
  json_object_set_string_member (copy, "calibration",
                                 "post-training: act_alpha MSE-optimal per tensor and bit-width over a "
                                 "histogram of the float model's activations (capped at a bounded ReLU's "
                                 "relu_max); w_step max|w|/127 at 8 bits, per-channel MSE optimum at 4 and 2 bits");
  json_object_set_int_member (copy, "calibration_images", n_images);
  fb_weights_set_training (out, copy);
}

FbWeights *
fb_int_network_calibrate_with (FbNetwork       *network,
                               FbWeights       *weights,
                               const char      *weights_origin,
                               FbIntInputFunc   input_func,
                               gpointer         user_data,
                               guint            n_images,
                               GCancellable    *cancellable,
                               GError         **error)
{
  const char *origin = weights_origin != NULL ? weights_origin : "weights";
  g_autoptr(FbWeights) out = NULL;
  g_autofree Histogram *hist = NULL;

  if (g_strcmp0 (fb_weights_get_network_sha256 (weights), fb_network_get_sha256 (network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("%s: weights made for network \"%s\", not \"%s\""),
                   origin, fb_weights_get_network_name (weights), fb_network_get_name (network));
      return NULL;
    }
  fb_nn_threads_init ();   /* serial OpenBLAS */

  hist = g_new0 (Histogram, fb_network_get_n_tensors (network));
  if (!collect_histograms (network, weights, origin, input_func, user_data, n_images, hist, cancellable,
                           error))
    return NULL;

  out = fb_weights_new_for_network (network);
  for (guint i = 0; i < fb_weights_get_n_tensors (weights); i++)
    {
      const FbWeightsTensor *t = fb_weights_get_tensor (weights, i);
      if (g_strcmp0 (t->param, "act_alpha") == 0 || g_strcmp0 (t->param, "w_step") == 0)
        continue;
      memcpy (fb_weights_add (out, t->layer, t->param, t->n_dims, t->dims), t->data, t->n * sizeof (float));
    }
  add_activation_alphas (network, weights, hist, out);
  add_weight_steps (network, weights, out);
  set_calibration_provenance (weights, out, n_images);
  return g_steal_pointer (&out);
}

/* ---- supernet weights ------------------------------------------------------ */

gboolean
fb_int_network_is_supernet (FbWeights *weights)
{
  JsonObject *training = fb_weights_get_training (weights);

  return training != NULL && json_object_has_member (training, "method") &&
         g_strcmp0 (json_object_get_string_member_with_default (training, "method", ""), "supernet") == 0 &&
         !json_object_has_member (training, "specialized");
}

static gboolean
config_is_all_8 (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)) &&
        fb_precision_config_get_weight_bits (config, i) != 8)
      return FALSE;
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION &&
        fb_precision_config_get_tensor_bits (config, t) != 8)
      return FALSE;
  return TRUE;
}

FbWeights *
fb_int_network_weights_for_config (FbWeights         *weights,
                                   const char        *weights_origin,
                                   FbPrecisionConfig *config,
                                   FbDataset         *train,
                                   guint              bn_images,
                                   GCancellable      *cancellable,
                                   GError           **error)
{
  const char *origin = weights_origin != NULL ? weights_origin : "weights";

  if (!fb_int_network_is_supernet (weights) || config_is_all_8 (config))
    return fb_weights_ref (weights);
  if (train == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: supernet weights need training images to recalibrate batch norm for a config"),
                   origin);
      return NULL;
    }
  return fb_supernet_specialize (weights, origin, config, train, bn_images, cancellable, error);
}
