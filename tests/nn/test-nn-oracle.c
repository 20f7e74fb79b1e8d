/* test-nn-oracle.c — FbNnOracle: the integer-evaluation accuracy oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-nn-oracle.h"
#include "fb-int-test-util.h"
#include "fb-nn-test-util.h"

typedef struct {
  char      *dir;
  FbNetwork *net;
  FbDataset *train;
  FbDataset *test;
  FbWeights *weights;   /* with act_alpha */
  FbWeights *plain;     /* float only */
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->dir = fb_test_tmpdir_new ();
  f->net = fb_test_tiny_network (12, 12);
  f->train = fb_test_synthetic_dataset (f->dir, "train", 200, 12, 12, 1);
  f->test = fb_test_synthetic_dataset (f->dir, "t10k", 400, 12, 12, 2);
  f->weights = fb_test_random_int_weights (f->net, 3, TRUE);
  f->plain = fb_test_random_int_weights (f->net, 3, FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  fb_test_tmpdir_free (f->dir);
  fb_network_unref (f->net);
  fb_dataset_unref (f->train);
  fb_dataset_unref (f->test);
  fb_weights_unref (f->weights);
  fb_weights_unref (f->plain);
}

/* The accuracy FbIntNetwork measures directly. */
static double
direct_accuracy (Fixture *f, FbWeights *w, FbPrecisionConfig *cfg, guint limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "w", fb_kernel_arch (), &error);
  FbIntEvalResult r;

  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, f->test, limit, 1, NULL, &r, &error));
  return r.accuracy;
}

static void
test_caches (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (f->net, f->weights, "w.fbw", f->test, NULL, NULL, &error);
  g_autoptr(FbPrecisionConfig) a = fb_precision_config_new_from_spec (f->net, "w4a4", &error);
  g_autoptr(FbPrecisionConfig) a2 = NULL;
  g_autoptr(FbPrecisionConfig) b = fb_precision_config_new_from_spec (f->net, "w2a8", &error);
  double acc, acc2;

  g_assert_no_error (error);
  g_assert_true (fb_nn_oracle_is (o));
  g_assert_cmpstr (fb_accuracy_oracle_get_name (o), ==, "nn");
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 0);

  g_assert_true (fb_accuracy_oracle_evaluate (o, a, 300, NULL, &acc, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (acc, ==, direct_accuracy (f, f->weights, a, 300));
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 1);

  /* The same config (another object, equal entries): from the cache. */
  a2 = fb_precision_config_copy (a);
  g_assert_true (fb_accuracy_oracle_evaluate (o, a2, 300, NULL, &acc2, &error));
  g_assert_cmpfloat (acc2, ==, acc);
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 1);

  /* Another limit or config: evaluated. Limit 0 and the set's size are one entry. */
  g_assert_true (fb_accuracy_oracle_evaluate (o, a, 100, NULL, &acc2, &error));
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 2);
  g_assert_cmpfloat (acc2, ==, direct_accuracy (f, f->weights, a, 100));
  g_assert_true (fb_accuracy_oracle_evaluate (o, b, 0, NULL, &acc2, &error));
  g_assert_true (fb_accuracy_oracle_evaluate (o, b, 400, NULL, &acc, &error));
  g_assert_true (fb_accuracy_oracle_evaluate (o, b, 5000, NULL, &acc, &error));
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 3);
  g_assert_cmpfloat (acc, ==, acc2);
  g_assert_cmpfloat (acc, ==, direct_accuracy (f, f->weights, b, 0));
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (f->net, f->weights, "w.fbw", f->test, NULL, NULL, &error);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (f->net, "w8a4", &error);
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  double acc = -1;

  g_assert_no_error (error);
  g_cancellable_cancel (cancel);
  /* The implementation itself (the interface checks before calling it too). */
  g_assert_false (o->klass->evaluate (o, cfg, 0, cancel, &acc, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (fb_accuracy_oracle_evaluate (o, cfg, 0, cancel, &acc, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* A cancelled evaluation is not cached: the next one runs. */
  g_assert_true (fb_accuracy_oracle_evaluate (o, cfg, 0, NULL, &acc, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, 1);
  g_assert_cmpfloat (acc, >=, 0.0);
  g_assert_cmpfloat (acc, <=, 1.0);
}

typedef struct {
  FbAccuracyOracle  *oracle;
  FbPrecisionConfig *config;
  double             accuracy;
} ThreadJob;

static gpointer
evaluate_in_thread (gpointer data)
{
  ThreadJob *job = data;
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_accuracy_oracle_evaluate (job->oracle, job->config, 0, NULL, &job->accuracy, &error));
  g_assert_no_error (error);
  return NULL;
}

/* Several threads at once, some asking for the same config: every answer
 * is the direct measurement, and each config is cached once. */
static void
test_threads (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (f->net, f->weights, "w.fbw", f->test, NULL, NULL, &error);
  const char *specs[] = { "w8a8", "w4a4", "w2a2", "w4a4", "w8a2", "w2a2" };
  ThreadJob jobs[G_N_ELEMENTS (specs)];
  GThread *threads[G_N_ELEMENTS (specs)];
  double acc;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      jobs[i].oracle = o;
      jobs[i].config = fb_precision_config_new_from_spec (f->net, specs[i], &error);
      g_assert_no_error (error);
      threads[i] = g_thread_new ("eval", evaluate_in_thread, &jobs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_assert_cmpfloat (jobs[i].accuracy, ==, direct_accuracy (f, f->weights, jobs[i].config, 0));
      fb_precision_config_free (jobs[i].config);
    }
  /* Between 4 (distinct configs) and 6 (duplicates computed concurrently). */
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), >=, 4);
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), <=, 6);
  {
    g_autoptr(FbPrecisionConfig) again = fb_precision_config_new_from_spec (f->net, "w2a2", &error);
    guint before = fb_nn_oracle_get_n_evaluations (o);
    g_assert_true (fb_accuracy_oracle_evaluate (o, again, 0, NULL, &acc, &error));
    g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (o), ==, before);
  }
}

static void
test_cost_hint (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (f->net, f->weights, "w.fbw", f->test, NULL, NULL, &error);
  double small, all;

  g_assert_no_error (error);
  small = fb_accuracy_oracle_cost_hint (o, 10);
  all = fb_accuracy_oracle_cost_hint (o, 0);
  g_assert_cmpfloat (small, >, 0.0);
  g_assert_cmpfloat (all, >, small);
  /* Capped at the test set's size. */
  g_assert_cmpfloat (fb_accuracy_oracle_cost_hint (o, 100000), ==, all);
}

static void
test_float_only (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) none = fb_nn_oracle_new (f->net, f->plain, "plain.fbw", f->test, NULL, NULL, &error);
  g_autoptr(FbAccuracyOracle) o = NULL;
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (f->net);
  double acc;

  g_assert_null (none);
  g_assert_error (error, FB_ERROR, FB_ERROR_FIELD);
  g_assert_nonnull (strstr (error->message, "plain.fbw"));
  g_clear_error (&error);

  o = fb_nn_oracle_new (f->net, f->plain, "plain.fbw", f->test, f->train, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (fb_int_network_needs_calibration (f->net, fb_nn_oracle_get_weights (o)));
  g_assert_true (fb_accuracy_oracle_evaluate (o, cfg, 0, NULL, &acc, &error));
  g_assert_cmpfloat (acc, ==, direct_accuracy (f, fb_nn_oracle_get_weights (o), cfg, 0));
}

static void
test_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbAccuracyOracle) o = fb_nn_oracle_new (f->net, f->weights, "w.fbw", f->test, NULL, NULL, &error);
  g_autoptr(FbNetwork) other = fb_test_tiny_network (14, 14);
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new (other);
  g_autoptr(FbWeights) wrong = fb_test_random_int_weights (other, 1, TRUE);
  g_autoptr(FbAccuracyOracle) bad = NULL;
  double acc;

  g_assert_false (fb_accuracy_oracle_evaluate (o, cfg, 0, NULL, &acc, &error));
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  g_clear_error (&error);
  bad = fb_nn_oracle_new (f->net, wrong, "wrong.fbw", f->test, NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "wrong.fbw"));
}

/* fb_nn_evaluate() against a direct count from fb_int_network_run(): top-1
 * (and the checksum) as fb_int_network_evaluate(), top-5 and per class. */
static void
test_metrics (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (f->net, "w4a8", &error);
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, f->weights, "w", fb_kernel_arch (), &error);
  g_autofree guint8 *arena = NULL, *scratch = NULL;
  guint total[10] = { 0 }, right[10] = { 0 }, top5 = 0, n = fb_dataset_get_n_images (f->test);
  FbIntEvalResult ir;
  FbNnEvalResult r;

  g_assert_no_error (error);
  g_assert_true (fb_nn_evaluate (inet, f->test, 0, 2, NULL, &r, &error));
  g_assert_no_error (error);
  g_assert_true (fb_int_network_evaluate (inet, f->test, 0, 1, NULL, &ir, &error));
  g_assert_cmpuint (r.correct, ==, ir.correct);
  g_assert_cmpfloat (r.top1, ==, ir.accuracy);
  g_assert_cmphex (r.logits_fnv1a, ==, ir.logits_fnv1a);
  g_assert_cmpfloat (r.quality, ==, r.top1);

  arena = g_malloc0 (fb_plan_get_arena_bytes (fb_int_network_get_plan (inet)) + 4);
  scratch = g_malloc0 (fb_plan_get_scratch_bytes (fb_int_network_get_plan (inet)) + 1);
  for (guint i = 0; i < n; i++)
    {
      gint32 lg[10];
      guint label = fb_dataset_get_label (f->test, i), above = 0;
      gboolean first_max = TRUE;
      g_assert_true (fb_int_network_run (inet, fb_dataset_get_image (f->test, i), lg, arena, scratch, &error));
      for (guint c = 0; c < 10; c++)
        {
          above += lg[c] > lg[label];
          if (lg[c] > lg[label] || (lg[c] == lg[label] && c < label))
            first_max = FALSE;
        }
      /* Ties: the label counts as below the classes of equal score before it. */
      for (guint c = 0; c < label; c++)
        above += lg[c] == lg[label];
      total[label]++;
      right[label] += first_max;
      top5 += above < 5;
    }
  g_assert_cmpuint (r.correct5, ==, top5);
  g_assert_cmpfloat (r.top5, ==, (double) top5 / n);
  g_assert_true (r.top5 >= r.top1);
  for (guint c = 0; c < 10; c++)
    {
      g_assert_cmpuint (r.class_total[c], ==, total[c]);
      g_assert_cmpuint (r.class_correct[c], ==, right[c]);
      if (total[c] > 0)
        g_assert_cmpfloat (fb_nn_eval_result_class_accuracy (&r, c), ==, (double) right[c] / total[c]);
    }
  g_assert_true (isnan (r.mse));
  fb_nn_eval_result_clear (&r);
}

/* Fewer than 10 classes: no top-5. */
static void
test_no_top5_below_10 (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(FbNetwork) net = fb_test_network_from_string (
    "{ \"format\": \"freebits-network/1\", \"name\": \"four\","
    "  \"input\": { \"name\": \"x\", \"shape\": [6, 6, 1] },"
    "  \"layers\": ["
    "   { \"name\": \"c\", \"op\": \"conv2d\", \"inputs\": [\"x\"], \"output\": \"c\", \"kernel\": 3, \"cout\": 4 },"
    "   { \"name\": \"p\", \"op\": \"global_avg_pool\", \"inputs\": [\"c\"], \"output\": \"p\" },"
    "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"p\"], \"output\": \"fc\", \"cout\": 4 } ] }");
  g_autoptr(FbWeights) w = fb_test_random_int_weights (net, 9, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (net, "w8a8", &error);
  g_autoptr(FbIntNetwork) inet = fb_int_network_new (cfg, w, "w", fb_kernel_arch (), &error);
  g_autofree char *ip = g_build_filename (dir, "s-images-idx3-ubyte", NULL);
  g_autofree char *lp = g_build_filename (dir, "s-labels-idx1-ubyte", NULL);
  guint8 px[20 * 36], lab[20];
  guint32 idims[3] = { 20, 6, 6 }, ldims[1] = { 20 };
  g_autoptr(FbDataset) ds = NULL;
  FbNnEvalResult r;

  for (guint i = 0; i < sizeof px; i++)
    px[i] = (guint8) (i * 37);
  for (guint i = 0; i < 20; i++)
    lab[i] = (guint8) (i % 4);
  fb_test_write_idx (ip, 3, idims, px, sizeof px, FALSE);
  fb_test_write_idx (lp, 1, ldims, lab, sizeof lab, FALSE);
  ds = fb_dataset_load_idx (ip, lp, 4, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fb_nn_evaluate (inet, ds, 0, 1, NULL, &r, &error));
  g_assert_cmpuint (r.n_classes, ==, 4);
  g_assert_true (isnan (r.top5));
  g_assert_cmpuint (r.correct5, ==, 0);
  fb_nn_eval_result_clear (&r);
  fb_test_tmpdir_free (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/nn-oracle/caches", Fixture, NULL, setup, test_caches, teardown);
  g_test_add ("/nn-oracle/cancel", Fixture, NULL, setup, test_cancel, teardown);
  g_test_add ("/nn-oracle/threads", Fixture, NULL, setup, test_threads, teardown);
  g_test_add ("/nn-oracle/cost-hint", Fixture, NULL, setup, test_cost_hint, teardown);
  g_test_add ("/nn-oracle/float-only", Fixture, NULL, setup, test_float_only, teardown);
  g_test_add ("/nn-oracle/mismatch", Fixture, NULL, setup, test_mismatch, teardown);
  g_test_add ("/nn-oracle/metrics-top5-per-class", Fixture, NULL, setup, test_metrics, teardown);
  g_test_add_func ("/nn-oracle/no-top5-below-10-classes", test_no_top5_below_10);
  return g_test_run ();
}
