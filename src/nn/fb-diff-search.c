/* fb-diff-search.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-data-loader.h"
#include "fb-diff-search.h"
#include "fb-error.h"
#include "fb-metrics.h"
#include "fb-nn-ops.h"
#include "fb-trainer.h"

static const guint choice_bits[3] = { 8, 4, 2 };

const char *
fb_diff_cost_to_string (FbDiffCost cost)
{
  return cost == FB_DIFF_COST_BOPS ? "bops" : "size";
}

gboolean
fb_diff_cost_from_string (const char *text, FbDiffCost *cost)
{
  if (g_strcmp0 (text, "size") == 0)
    *cost = FB_DIFF_COST_SIZE;
  else if (g_strcmp0 (text, "bops") == 0)
    *cost = FB_DIFF_COST_BOPS;
  else
    return FALSE;
  return TRUE;
}

void
fb_diff_search_options_init (FbDiffSearchOptions *o)
{
  memset (o, 0, sizeof *o);
  o->cost = FB_DIFF_COST_SIZE;
  o->steps = 300;
  o->batch_size = 128;
  o->lr = 0.05;
  o->seed = 1;
}

/* The row of @t's probabilities, or -1 when its bits are fixed (input, logits). */
static int
tensor_row (FbNetwork *net, guint t)
{
  const FbTensor *ten = fb_network_get_tensor (net, t);
  if (ten->kind != FB_TENSOR_ACTIVATION && ten->kind != FB_TENSOR_POOLED)
    return -1;
  return (int) ten->bits_source;
}

/* Expected bits of tensor @t (fixed ones: their bits in any config). */
static double
expected_tensor_bits (FbNetwork *net, const float *p_a, guint t)
{
  int row = tensor_row (net, t);
  double e = 0.0;

  if (row < 0)
    return fb_network_get_tensor (net, t)->kind == FB_TENSOR_LOGITS ? 32 : 8;
  for (guint b = 0; b < 3; b++)
    e += p_a[row * 3 + b] * choice_bits[b];
  return e;
}

double
fb_diff_search_expected_cost (FbNetwork *net, FbDiffCost cost, const float *p_w, const float *p_a,
                              double *g_w, double *g_a)
{
  guint n_layers = fb_network_get_n_layers (net);
  double total = 0.0, norm = 0.0;

  if (g_w != NULL)
    memset (g_w, 0, (gsize) n_layers * 3 * sizeof (double));
  if (g_a != NULL)
    memset (g_a, 0, (gsize) fb_network_get_n_tensors (net) * 3 * sizeof (double));

  for (guint i = 0; i < n_layers; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      if (!fb_layer_is_weighted (l))
        continue;
      if (cost == FB_DIFF_COST_SIZE)
        {
          norm += (double) fb_metrics_weight_bytes (net, i, 8);
          for (guint b = 0; b < 3; b++)
            {
              double c = (double) fb_metrics_weight_bytes (net, i, choice_bits[b]);
              total += p_w[i * 3 + b] * c;
              if (g_w != NULL)
                g_w[i * 3 + b] = c;
            }
        }
      else
        {
          double ew = 0.0, ea = expected_tensor_bits (net, p_a, l->inputs[0]);
          int row = tensor_row (net, l->inputs[0]);
          for (guint b = 0; b < 3; b++)
            ew += p_w[i * 3 + b] * choice_bits[b];
          norm += (double) l->macs * 64.0;
          total += (double) l->macs * ew * ea;
          for (guint b = 0; b < 3; b++)
            {
              if (g_w != NULL)
                g_w[i * 3 + b] = (double) l->macs * choice_bits[b] * ea;
              if (g_a != NULL && row >= 0)
                g_a[row * 3 + b] += (double) l->macs * ew * choice_bits[b];
            }
        }
    }
  if (norm <= 0.0)
    return 0.0;
  for (guint k = 0; g_w != NULL && k < n_layers * 3; k++)
    g_w[k] /= norm;
  for (guint k = 0; g_a != NULL && k < fb_network_get_n_tensors (net) * 3; k++)
    g_a[k] /= norm;
  return total / norm;
}

/* The search state of one λ: logits θ, what each entry may choose, Adam. */
typedef struct {
  FbNetwork *net;
  guint      n_w, n_a;                  /* rows: layers, tensors */
  gboolean  *ok_w, *ok_a;               /* [rows][3]: admitted and not excluded by a pin */
  float     *theta_w, *theta_a;
  float     *p_w, *p_a;
  double    *m_w, *v_w, *m_a, *v_a;     /* Adam moments */
} Arch;

static void
arch_init (Arch *a, FbNetwork *net, FbPrecisionConfig *start)
{
  a->net = net;
  a->n_w = fb_network_get_n_layers (net);
  a->n_a = fb_network_get_n_tensors (net);
  a->ok_w = g_new0 (gboolean, a->n_w * 3);
  a->ok_a = g_new0 (gboolean, a->n_a * 3);
  a->theta_w = g_new0 (float, a->n_w * 3);
  a->theta_a = g_new0 (float, a->n_a * 3);
  a->p_w = g_new0 (float, a->n_w * 3);
  a->p_a = g_new0 (float, a->n_a * 3);
  a->m_w = g_new0 (double, a->n_w * 3);
  a->v_w = g_new0 (double, a->n_w * 3);
  a->m_a = g_new0 (double, a->n_a * 3);
  a->v_a = g_new0 (double, a->n_a * 3);

  for (guint i = 0; i < a->n_w; i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      for (guint b = 0; b < 3; b++)
        a->ok_w[i * 3 + b] = start != NULL && fb_precision_config_get_weight_pinned (start, i)
                               ? fb_precision_config_get_weight_bits (start, i) == choice_bits[b]
                               : fb_network_layer_admits_weight_bits (net, i, choice_bits[b]);
  for (guint t = 0; t < a->n_a; t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      for (guint b = 0; b < 3; b++)
        a->ok_a[t * 3 + b] = start != NULL && fb_precision_config_get_tensor_pinned (start, t)
                               ? fb_precision_config_get_tensor_bits (start, t) == choice_bits[b]
                               : fb_network_tensor_admits_bits (net, t, choice_bits[b]);
}

static void
arch_clear (Arch *a)
{
  g_free (a->ok_w);
  g_free (a->ok_a);
  g_free (a->theta_w);
  g_free (a->theta_a);
  g_free (a->p_w);
  g_free (a->p_a);
  g_free (a->m_w);
  g_free (a->v_w);
  g_free (a->m_a);
  g_free (a->v_a);
}

static void
softmax_rows (guint rows, const gboolean *ok, const float *theta, float *p)
{
  for (guint r = 0; r < rows; r++)
    {
      float mx = -INFINITY, sum = 0.0f;
      for (guint b = 0; b < 3; b++)
        if (ok[r * 3 + b])
          mx = MAX (mx, theta[r * 3 + b]);
      for (guint b = 0; b < 3; b++)
        {
          p[r * 3 + b] = ok[r * 3 + b] ? expf (theta[r * 3 + b] - mx) : 0.0f;
          sum += p[r * 3 + b];
        }
      for (guint b = 0; b < 3 && sum > 0.0f; b++)
        p[r * 3 + b] /= sum;
    }
}

/* dL/dθ = p ⊙ (g − Σ p g) per row, then one Adam step (bias-corrected). */
static void
adam_rows (guint rows, const gboolean *ok, const float *p, const double *g, float *theta, double *m,
           double *v, double lr, guint t)
{
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  double c1 = 1.0 - pow (b1, t), c2 = 1.0 - pow (b2, t);

  for (guint r = 0; r < rows; r++)
    {
      double mean = 0.0;
      for (guint b = 0; b < 3; b++)
        mean += p[r * 3 + b] * g[r * 3 + b];
      for (guint b = 0; b < 3; b++)
        {
          guint k = r * 3 + b;
          double d;
          if (!ok[k])
            continue;
          d = p[k] * (g[k] - mean);
          m[k] = b1 * m[k] + (1 - b1) * d;
          v[k] = b2 * v[k] + (1 - b2) * d * d;
          theta[k] -= (float) (lr * (m[k] / c1) / (sqrt (v[k] / c2) + eps));
        }
    }
}

/* The most probable admitted bits of a row; ties go to the higher bits. */
static guint
argmax_bits (const gboolean *ok, const float *p)
{
  int best = -1;
  for (guint b = 0; b < 3; b++)
    if (ok[b] && (best < 0 || p[b] > p[best]))
      best = (int) b;
  return best < 0 ? 8 : choice_bits[best];
}

static FbPrecisionConfig *
arch_config (Arch *a, FbPrecisionConfig *start)
{
  FbPrecisionConfig *c = start != NULL ? fb_precision_config_copy (start)
                                       : fb_precision_config_new (a->net);

  for (guint i = 0; i < a->n_w; i++)
    if (fb_layer_is_weighted (fb_network_get_layer (a->net, i)))
      fb_precision_config_set_weight_bits (c, i, argmax_bits (a->ok_w + i * 3, a->p_w + i * 3));
  for (guint t = 0; t < a->n_a; t++)
    if (fb_network_get_tensor (a->net, t)->kind == FB_TENSOR_ACTIVATION)
      fb_precision_config_set_tensor_bits (c, t, argmax_bits (a->ok_a + t * 3, a->p_a + t * 3));
  return c;
}

/* A config's cost through the expectation of its one-hot probabilities. */
static double
config_cost (FbNetwork *net, FbDiffCost cost, FbPrecisionConfig *config)
{
  guint nl = fb_network_get_n_layers (net), nt = fb_network_get_n_tensors (net);
  g_autofree float *pw = g_new0 (float, nl * 3);
  g_autofree float *pa = g_new0 (float, nt * 3);

  for (guint i = 0; i < nl; i++)
    for (guint b = 0; b < 3; b++)
      pw[i * 3 + b] = fb_precision_config_get_weight_bits (config, i) == choice_bits[b];
  for (guint t = 0; t < nt; t++)
    for (guint b = 0; b < 3; b++)
      pa[t * 3 + b] = fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION &&
                      fb_precision_config_get_tensor_bits (config, t) == choice_bits[b];
  return fb_diff_search_expected_cost (net, cost, pw, pa, NULL, NULL);
}

static void
set_provenance (FbPrecisionConfig *config, const FbDiffSearchOptions *o, const FbDiffSearchResult *r)
{
  g_autoptr(JsonObject) prov = json_object_new ();

  json_object_set_string_member (prov, "method", "diff");
  json_object_set_string_member (prov, "cost", fb_diff_cost_to_string (o->cost));
  json_object_set_double_member (prov, "lambda", r->lambda);
  json_object_set_int_member (prov, "steps", r->steps);
  json_object_set_int_member (prov, "batch_size", o->batch_size);
  json_object_set_double_member (prov, "lr", o->lr);
  json_object_set_int_member (prov, "seed", o->seed);
  json_object_set_double_member (prov, "expected_cost", r->expected_cost);
  json_object_set_double_member (prov, "cost_fraction", r->cost);
  json_object_set_double_member (prov, "mixed_loss", r->loss);
  json_object_set_double_member (prov, "mixed_train_accuracy", r->train_accuracy);
  json_object_set_double_member (prov, "seconds", r->seconds);
  json_object_set_string_member (prov, "float_backend", fb_nn_float_backend ());
  fb_precision_config_set_provenance (config, prov);
}

gboolean
fb_diff_search_sweep (const FbDiffSweep *sweep, GError **error)
{
  FbNetwork *net = sweep->network;
  FbDataset *train = sweep->train;
  const FbDiffSearchOptions *o = sweep->options;
  const double *lambdas = sweep->lambdas;
  guint n_lambdas = sweep->n_lambdas;
  FbDiffSearchProgressFunc progress_func = sweep->progress_func;
  gpointer user_data = sweep->user_data;
  FbTrainOptions topt;
  g_autoptr(FbTrainer) trainer = NULL;
  g_autoptr(FbDataLoader) loader = NULL;
  g_autofree float *x = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree double *gw = NULL, *ga = NULL, *cw = NULL, *ca = NULL;
  guint nl = fb_network_get_n_layers (net), nt = fb_network_get_n_tensors (net);
  guint n_batches, tail;

  g_return_val_if_fail (o->steps > 0 && o->batch_size > 0, FALSE);
  for (guint k = 0; k < n_lambdas; k++)
    if (!(lambdas[k] >= 0.0) || !isfinite (lambdas[k]))
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("λ must be a finite number ≥ 0, not %g"), lambdas[k]);
        return FALSE;
      }
  if (o->start != NULL && fb_precision_config_get_network (o->start) != net)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("the start config belongs to another network"));
      return FALSE;
    }

  fb_train_options_init (&topt);
  topt.batch_size = o->batch_size;
  topt.seed = o->seed;
  topt.quant = FB_TRAIN_SUPERNET;
  if (o->shards > 0)
    topt.shards = o->shards;
  trainer = fb_trainer_new (net, &topt, sweep->supernet, sweep->origin, error);
  if (trainer == NULL)
    return FALSE;
  fb_trainer_set_shard_split (trainer, o->split);
  loader = fb_data_loader_new (train, FB_DATA_LOADER_TRAIN, o->batch_size, o->limit_train, o->seed);
  n_batches = fb_data_loader_get_n_batches (loader);
  if (n_batches == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: fewer training images than one batch (%u)"),
                   fb_dataset_get_path (train), o->batch_size);
      return FALSE;
    }
  x = g_new (float, (gsize) o->batch_size * fb_dataset_get_example_size (train));
  labels = g_new (guint8, o->batch_size);
  if (!fb_trainer_has_act_alpha (trainer))
    {
      /* Float weights: α from the first batch, as quantization-aware training starts. */
      guint n = fb_data_loader_fill (loader, 0, 0, x, labels);
      fb_trainer_calibrate_act_alpha (trainer, x, n);
    }
  gw = g_new (double, nl * 3);
  ga = g_new (double, nt * 3);
  cw = g_new (double, nl * 3);
  ca = g_new (double, nt * 3);
  tail = MAX (1, o->steps / 4);

  for (guint k = 0; k < n_lambdas; k++)
    {
      Arch a;
      gint64 t0 = g_get_monotonic_time ();
      double loss_sum = 0.0, expected = 0.0;
      guint64 right = 0, seen = 0;
      FbDiffSearchResult r = { 0 };
      g_autoptr(FbPrecisionConfig) config = NULL;

      arch_init (&a, net, o->start);
      for (guint s = 0; s < o->steps; s++)
        {
          double loss;
          guint correct, n;

          if (g_cancellable_set_error_if_cancelled (sweep->cancellable, error))
            {
              arch_clear (&a);
              return FALSE;
            }
          softmax_rows (a.n_w, a.ok_w, a.theta_w, a.p_w);
          softmax_rows (a.n_a, a.ok_a, a.theta_a, a.p_a);
          n = fb_data_loader_fill (loader, s / n_batches, s % n_batches, x, labels);
          fb_trainer_mixed_step (trainer, x, labels, n, a.p_w, a.p_a, &loss, &correct, gw, ga);
          expected = fb_diff_search_expected_cost (net, o->cost, a.p_w, a.p_a, cw, ca);
          for (guint q = 0; q < nl * 3; q++)
            gw[q] += lambdas[k] * cw[q];
          for (guint q = 0; q < nt * 3; q++)
            ga[q] += lambdas[k] * ca[q];
          adam_rows (a.n_w, a.ok_w, a.p_w, gw, a.theta_w, a.m_w, a.v_w, o->lr, s + 1);
          adam_rows (a.n_a, a.ok_a, a.p_a, ga, a.theta_a, a.m_a, a.v_a, o->lr, s + 1);
          if (s >= o->steps - tail)
            {
              loss_sum += loss * n;
              right += correct;
              seen += n;
            }
          if (progress_func != NULL && (s % 10 == 0 || s + 1 == o->steps))
            {
              g_autofree char *msg = g_strdup_printf ("λ %g (%u/%u): step %u/%u, loss %.3f, E[%s] %.3f",
                                                      lambdas[k], k + 1, n_lambdas, s + 1, o->steps, loss,
                                                      fb_diff_cost_to_string (o->cost), expected);
              progress_func (((double) k * o->steps + s + 1) / ((double) n_lambdas * o->steps), msg,
                             user_data);
            }
        }
      softmax_rows (a.n_w, a.ok_w, a.theta_w, a.p_w);
      softmax_rows (a.n_a, a.ok_a, a.theta_a, a.p_a);
      config = arch_config (&a, o->start);
      r.lambda = lambdas[k];
      r.expected_cost = fb_diff_search_expected_cost (net, o->cost, a.p_w, a.p_a, NULL, NULL);
      r.cost = config_cost (net, o->cost, config);
      r.loss = seen ? loss_sum / seen : NAN;
      r.train_accuracy = seen ? (double) right / seen : NAN;
      r.seconds = (g_get_monotonic_time () - t0) / 1e6;
      r.steps = o->steps;
      set_provenance (config, o, &r);
      arch_clear (&a);
      if (sweep->result_func != NULL)
        sweep->result_func (config, &r, user_data);
    }
  return TRUE;
}
