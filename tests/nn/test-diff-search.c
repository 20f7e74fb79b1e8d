/* test-diff-search.c — the differentiable (EdMIPS) precision search: the
 * mixed pass against the fixed-config pass and finite differences, the
 * expected cost against FbMetrics, and the sweep's behaviour (λ shrinks the
 * cost, pins hold, determinism, cancellation).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-data-loader.h"
#include "fb-diff-search.h"
#include "fb-error.h"
#include "fb-metrics.h"
#include "fb-nn-ops.h"
#include "fb-nn-test-util.h"
#include "fb-supernet.h"
#include "fb-trainer.h"

static const guint bits3[3] = { 8, 4, 2 };

typedef struct {
  char      *dir;
  FbDataset *ds;
  FbNetwork *net;
  FbWeights *weights;   /* a briefly trained supernet of the tiny network */
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbTrainer) t = NULL;
  FbTrainOptions opt;

  f->dir = fb_test_tmpdir_new ();
  f->ds = fb_test_synthetic_dataset (f->dir, "syn", 256, 12, 12, 5);
  f->net = fb_test_tiny_network (12, 12);
  fb_train_options_init (&opt);
  opt.quant = FB_TRAIN_SUPERNET;
  opt.epochs = 2;
  opt.batch_size = 32;
  opt.lr = 0.05;
  t = fb_trainer_new (f->net, &opt, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_run (t, f->ds, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  f->weights = fb_trainer_get_weights (t);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->weights, fb_weights_unref);
  g_clear_pointer (&f->net, fb_network_unref);
  g_clear_pointer (&f->ds, fb_dataset_unref);
  fb_test_tmpdir_free (f->dir);
}

static FbTrainer *
new_trainer (Fixture *f, FbTrainQuant quant)
{
  g_autoptr(GError) error = NULL;
  FbTrainOptions opt;
  FbTrainer *t;

  fb_train_options_init (&opt);
  opt.quant = quant;
  opt.batch_size = 32;
  opt.lr = 0.0;   /* the fixed-config step must not move anything we compare */
  t = fb_trainer_new (f->net, &opt, f->weights, "memory", &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_has_act_alpha (t));
  return t;
}

/* One-hot probabilities of @config. */
static void
one_hot (FbNetwork *net, FbPrecisionConfig *config, float *pw, float *pa)
{
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    for (guint b = 0; b < 3; b++)
      pw[i * 3 + b] = fb_layer_is_weighted (fb_network_get_layer (net, i)) &&
                      fb_precision_config_get_weight_bits (config, i) == bits3[b];
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    for (guint b = 0; b < 3; b++)
      pa[t * 3 + b] = fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION &&
                      fb_precision_config_get_tensor_bits (config, t) == bits3[b];
}

static void
fill_batch (Fixture *f, float *x, guint8 *labels)
{
  g_autoptr(FbDataLoader) dl = fb_data_loader_new (f->ds, FB_DATA_LOADER_SHUFFLE, 32, 0, 3);
  g_assert_cmpuint (fb_data_loader_fill (dl, 0, 0, x, labels), ==, 32);
}

/* With one-hot probabilities the mixed pass is the config's own
 * quantization-aware pass: same loss, same accuracy. */
static void
test_one_hot_equals_fixed (Fixture *f, gconstpointer data)
{
  guint nl = fb_network_get_n_layers (f->net), nt = fb_network_get_n_tensors (f->net);
  g_autofree float *x = g_new (float, 32 * 144), *pw = g_new (float, nl * 3), *pa = g_new (float, nt * 3);
  g_autofree double *gw = g_new (double, nl * 3), *ga = g_new (double, nt * 3);
  g_autofree guint8 *labels = g_new (guint8, 32);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(GError) error = NULL;

  fill_batch (f, x, labels);
  for (guint k = 0; k < 4; k++)
    {
      g_autoptr(FbPrecisionConfig) c = k == 0 ? fb_supernet_config_max (f->net)
                                       : k == 1 ? fb_supernet_config_min (f->net)
                                                : fb_supernet_config_random (f->net, rand);
      g_autoptr(FbTrainer) mixed = new_trainer (f, FB_TRAIN_SUPERNET);
      g_autoptr(FbTrainer) fixed = new_trainer (f, FB_TRAIN_FIXED);
      double loss_m = -1, loss_f = -2;
      guint right_m = 0, right_f = 1;

      g_assert_true (fb_trainer_set_fixed_config (fixed, c, &error));
      fb_trainer_train_step (fixed, x, labels, 32, 0.0, &loss_f, &right_f);
      one_hot (f->net, c, pw, pa);
      fb_trainer_mixed_step (mixed, x, labels, 32, pw, pa, &loss_m, &right_m, gw, ga);
      g_assert_cmpfloat (fabs (loss_m - loss_f), <, 1e-5 * MAX (1.0, loss_f));
      g_assert_cmpuint (right_m, ==, right_f);
      /* Branches with p = 0 have no gradient. */
      for (guint i = 0; i < nl * 3; i++)
        if (pw[i] == 0.0f)
          g_assert_cmpfloat (gw[i], ==, 0.0);
    }
}

/* dL/dp by central differences, where nothing quantized lies downstream of
 * the perturbed entry (so the loss is smooth in p): the classifier's weight
 * probabilities and those of the hidden linear layer's output tensor. */
static void
test_gradients_match_finite_differences (Fixture *f, gconstpointer data)
{
  guint nl = fb_network_get_n_layers (f->net), nt = fb_network_get_n_tensors (f->net);
  g_autofree float *x = g_new (float, 32 * 144), *pw = g_new (float, nl * 3), *pa = g_new (float, nt * 3);
  g_autofree double *gw = g_new (double, nl * 3), *ga = g_new (double, nt * 3);
  g_autofree double *gw2 = g_new (double, nl * 3), *ga2 = g_new (double, nt * 3);
  g_autofree guint8 *labels = g_new (guint8, 32);
  g_autoptr(FbTrainer) t = new_trainer (f, FB_TRAIN_SUPERNET);
  guint fc = 0, h_tensor = 0, checked = 0;
  double loss;

  for (guint i = 0; i < nl; i++)
    {
      const FbLayer *l = fb_network_get_layer (f->net, i);
      if (g_str_equal (l->name, "fc"))
        fc = i;
      if (g_str_equal (l->name, "h"))
        h_tensor = l->output;
    }
  g_assert_cmpuint (fc, >, 0);
  fill_batch (f, x, labels);
  /* An interior point: every branch weighted (0.5, 0.3, 0.2). */
  for (guint i = 0; i < nl; i++)
    for (guint b = 0; b < 3; b++)
      pw[i * 3 + b] = fb_layer_is_weighted (fb_network_get_layer (f->net, i)) ? (float[]) { 0.5f, 0.3f, 0.2f }[b] : 0.0f;
  for (guint t2 = 0; t2 < nt; t2++)
    for (guint b = 0; b < 3; b++)
      pa[t2 * 3 + b] = fb_network_get_tensor (f->net, t2)->kind == FB_TENSOR_ACTIVATION
                         ? (float[]) { 0.5f, 0.3f, 0.2f }[b] : 0.0f;
  fb_trainer_mixed_step (t, x, labels, 32, pw, pa, &loss, NULL, gw, ga);

  for (guint b = 0; b < 3; b++)
    for (guint which = 0; which < 2; which++)
      {
        float *p = which == 0 ? &pw[fc * 3 + b] : &pa[h_tensor * 3 + b];
        double analytic = which == 0 ? gw[fc * 3 + b] : ga[h_tensor * 3 + b];
        float saved = *p, eps = 1e-2f;
        double lp, lm, numeric;

        *p = saved + eps;
        fb_trainer_mixed_step (t, x, labels, 32, pw, pa, &lp, NULL, gw2, ga2);
        *p = saved - eps;
        fb_trainer_mixed_step (t, x, labels, 32, pw, pa, &lm, NULL, gw2, ga2);
        *p = saved;
        numeric = (lp - lm) / (2 * eps);
        g_assert_cmpfloat (fabs (analytic - numeric), <, 2e-3 + 0.02 * fabs (numeric));
        checked += fabs (numeric) > 1e-4;
      }
  /* The check is not vacuous: most of these derivatives are not zero. */
  g_assert_cmpuint (checked, >=, 3);
}

/* E[cost] of one-hot probabilities is the config's size / BOPs as FbMetrics
 * computes them (normalized by all-8), and its gradient matches finite
 * differences at an interior point. */
static void
test_expected_cost (Fixture *f, gconstpointer data)
{
  guint nl = fb_network_get_n_layers (f->net), nt = fb_network_get_n_tensors (f->net);
  g_autofree float *pw = g_new0 (float, nl * 3), *pa = g_new0 (float, nt * 3);
  g_autofree double *gw = g_new (double, nl * 3), *ga = g_new (double, nt * 3);
  g_autoptr(FbPrecisionConfig) max = fb_supernet_config_max (f->net);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GError) error = NULL;
  FbMetrics m8;

  g_assert_true (fb_metrics_compute (max, NULL, &m8, NULL, &error));
  for (guint k = 0; k < 20; k++)
    {
      g_autoptr(FbPrecisionConfig) c = fb_supernet_config_random (f->net, rand);
      FbMetrics m;
      g_assert_true (fb_metrics_compute (c, NULL, &m, NULL, &error));
      one_hot (f->net, c, pw, pa);
      g_assert_cmpfloat (fabs (fb_diff_search_expected_cost (f->net, FB_DIFF_COST_SIZE, pw, pa, NULL, NULL) -
                               (double) m.size_bytes / m8.size_bytes), <, 1e-12);
      g_assert_cmpfloat (fabs (fb_diff_search_expected_cost (f->net, FB_DIFF_COST_BOPS, pw, pa, NULL, NULL) -
                               (double) m.bops / m8.bops), <, 1e-12);
    }
  for (guint k = 0; k < nl * 3; k++)
    pw[k] = (float) g_rand_double_range (rand, 0.1, 0.6);
  for (guint k = 0; k < nt * 3; k++)
    pa[k] = (float) g_rand_double_range (rand, 0.1, 0.6);
  for (guint cost = 0; cost < 2; cost++)
    {
      fb_diff_search_expected_cost (f->net, cost, pw, pa, gw, ga);
      for (guint k = 0; k < (nl + nt) * 3; k++)
        {
          float *p = k < nl * 3 ? &pw[k] : &pa[k - nl * 3];
          double g = k < nl * 3 ? gw[k] : ga[k - nl * 3], saved = *p, num;
          *p = (float) (saved + 1e-3);
          num = fb_diff_search_expected_cost (f->net, cost, pw, pa, NULL, NULL);
          *p = (float) (saved - 1e-3);
          num -= fb_diff_search_expected_cost (f->net, cost, pw, pa, NULL, NULL);
          *p = (float) saved;
          num /= 2e-3;
          g_assert_cmpfloat (fabs (g - num), <, 1e-4 + 1e-3 * fabs (num));
        }
    }
}

typedef struct {
  GPtrArray *configs;
  GArray    *results;
  guint      cancel_after;
  GCancellable *cancellable;
} Collect;

static void
collect (FbPrecisionConfig *config, const FbDiffSearchResult *r, gpointer user_data)
{
  Collect *c = user_data;
  g_ptr_array_add (c->configs, fb_precision_config_copy (config));
  g_array_append_val (c->results, *r);
}

static void
collect_progress (double fraction, const char *message, gpointer user_data)
{
  Collect *c = user_data;
  g_assert_cmpfloat (fraction, >=, 0.0);
  g_assert_cmpfloat (fraction, <=, 1.0);
  if (c->cancel_after > 0 && --c->cancel_after == 0)
    g_cancellable_cancel (c->cancellable);
}

static void
run_sweep (Fixture *f, FbDiffSearchOptions *o, const double *lambdas, guint n, Collect *c)
{
  g_autoptr(GError) error = NULL;
  FbDiffSweep sweep = { .network = f->net, .supernet = f->weights, .origin = "memory", .train = f->ds,
                        .options = o, .lambdas = lambdas, .n_lambdas = n, .result_func = collect,
                        .progress_func = collect_progress, .user_data = c };

  c->configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  c->results = g_array_new (FALSE, FALSE, sizeof (FbDiffSearchResult));
  g_assert_true (fb_diff_search_sweep (&sweep, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c->configs->len, ==, n);
}

static void
collect_clear (Collect *c)
{
  g_ptr_array_unref (c->configs);
  g_array_unref (c->results);
}

/* A strong enough λ shrinks the chosen config's cost below λ = 0's, for
 * both costs; the same sweep twice gives the same configs; results say
 * what they cost. */
static void
test_sweep_lambda_shrinks_and_is_deterministic (Fixture *f, gconstpointer data)
{
  const double lambdas[] = { 0.0, 20.0 };

  for (guint cost = 0; cost < 2; cost++)
    {
      FbDiffSearchOptions o;
      Collect a = { 0 }, b = { 0 };
      double c0, c1;

      fb_diff_search_options_init (&o);
      o.cost = cost;
      o.steps = 40;
      o.batch_size = 32;
      o.lr = 0.1;
      run_sweep (f, &o, lambdas, 2, &a);
      run_sweep (f, &o, lambdas, 2, &b);
      c0 = g_array_index (a.results, FbDiffSearchResult, 0).cost;
      c1 = g_array_index (a.results, FbDiffSearchResult, 1).cost;
      g_assert_cmpfloat (c1, <, c0);
      g_assert_cmpfloat (g_array_index (a.results, FbDiffSearchResult, 1).expected_cost, <,
                         g_array_index (a.results, FbDiffSearchResult, 0).expected_cost);
      for (guint k = 0; k < 2; k++)
        {
          FbPrecisionConfig *ca = g_ptr_array_index (a.configs, k);
          g_autoptr(GError) error = NULL;
          JsonObject *prov = fb_precision_config_get_provenance (ca);
          g_assert_true (fb_precision_config_equal (ca, g_ptr_array_index (b.configs, k)));
          g_assert_true (fb_precision_config_validate (ca, &error));
          g_assert_nonnull (prov);
          g_assert_cmpstr (json_object_get_string_member (prov, "method"), ==, "diff");
          g_assert_cmpfloat (json_object_get_double_member (prov, "lambda"), ==, lambdas[k]);
          /* Which GEMM kernel and loop clone rounded this run: OpenBLAS's name for it. */
          g_assert_true (g_str_has_prefix (json_object_get_string_member (prov, "float_backend"), "OpenBLAS "));
          g_assert_cmpstr (json_object_get_string_member (prov, "float_backend"), ==, fb_nn_float_backend ());
        }
      /* At a huge λ the size cost leaves nothing above the lowest bits. */
      if (cost == FB_DIFF_COST_SIZE)
        {
          FbPrecisionConfig *small = g_ptr_array_index (a.configs, 1);
          for (guint i = 0; i < fb_network_get_n_layers (f->net); i++)
            if (fb_layer_is_weighted (fb_network_get_layer (f->net, i)))
              g_assert_cmpuint (fb_precision_config_get_weight_bits (small, i), <, 8);
        }
      collect_clear (&a);
      collect_clear (&b);
    }
}

/* Pinned entries of the start config keep their bits whatever λ says. */
static void
test_sweep_respects_pins (Fixture *f, gconstpointer data)
{
  const double lambdas[] = { 20.0 };
  g_autoptr(FbPrecisionConfig) start = fb_supernet_config_max (f->net);
  FbDiffSearchOptions o;
  Collect c = { 0 };
  guint pinned_layer = 0, pinned_tensor = 0;

  for (guint i = 0; i < fb_network_get_n_layers (f->net); i++)
    {
      const FbLayer *l = fb_network_get_layer (f->net, i);
      if (g_str_equal (l->name, "p2"))
        {
          pinned_layer = i;
          pinned_tensor = l->output;
        }
    }
  fb_precision_config_set_weight_pinned (start, pinned_layer, TRUE);
  fb_precision_config_set_tensor_bits (start, pinned_tensor, 4);
  fb_precision_config_set_tensor_pinned (start, pinned_tensor, TRUE);
  fb_diff_search_options_init (&o);
  o.cost = FB_DIFF_COST_BOPS;
  o.steps = 30;
  o.batch_size = 32;
  o.lr = 0.1;
  o.start = start;
  run_sweep (f, &o, lambdas, 1, &c);
  {
    FbPrecisionConfig *r = g_ptr_array_index (c.configs, 0);
    g_assert_cmpuint (fb_precision_config_get_weight_bits (r, pinned_layer), ==, 8);
    g_assert_true (fb_precision_config_get_weight_pinned (r, pinned_layer));
    g_assert_cmpuint (fb_precision_config_get_tensor_bits (r, pinned_tensor), ==, 4);
    /* Something else did move (λ is large): the pins are not a no-op search. */
    g_assert_cmpfloat (g_array_index (c.results, FbDiffSearchResult, 0).cost, <, 0.9);
  }
  collect_clear (&c);
}

static void
test_sweep_cancel_and_errors (Fixture *f, gconstpointer data)
{
  const double lambdas[] = { 0.0, 1.0 }, bad[] = { -1.0 };
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  FbDiffSearchOptions o;
  Collect c = { g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free),
                g_array_new (FALSE, FALSE, sizeof (FbDiffSearchResult)), 3, cancel };
  FbDiffSweep sweep = { .network = f->net, .supernet = f->weights, .origin = "memory", .train = f->ds,
                        .options = &o, .lambdas = lambdas, .n_lambdas = 2, .result_func = collect,
                        .progress_func = collect_progress, .user_data = &c, .cancellable = cancel };
  FbDiffSweep bad_sweep = sweep;
  gint64 t0;

  fb_diff_search_options_init (&o);
  o.steps = 1000;
  o.batch_size = 32;
  t0 = g_get_monotonic_time ();
  g_assert_false (fb_diff_search_sweep (&sweep, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (c.configs->len, ==, 0);
  /* A bound against hangs only. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 120 * G_USEC_PER_SEC);
  g_clear_error (&error);
  bad_sweep.lambdas = bad;
  bad_sweep.n_lambdas = 1;
  bad_sweep.progress_func = NULL;
  bad_sweep.cancellable = NULL;
  g_assert_false (fb_diff_search_sweep (&bad_sweep, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  collect_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/nn/diff-search/one-hot-equals-fixed", test_one_hot_equals_fixed);
  ADD ("/nn/diff-search/gradients", test_gradients_match_finite_differences);
  ADD ("/nn/diff-search/expected-cost", test_expected_cost);
  ADD ("/nn/diff-search/sweep-lambda-shrinks-deterministic", test_sweep_lambda_shrinks_and_is_deterministic);
  ADD ("/nn/diff-search/sweep-respects-pins", test_sweep_respects_pins);
  ADD ("/nn/diff-search/sweep-cancel-and-errors", test_sweep_cancel_and_errors);
#undef ADD
  return g_test_run ();
}
