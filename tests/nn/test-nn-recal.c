/* test-nn-recal.c — FbNnRecal: batch-norm recalibration of many configs with
 * shared prefixes, bit-identical to fb_supernet_specialize().
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-nn-oracle.h"
#include "fb-nn-recal.h"
#include "fb-supernet.h"
#include "fb-test-util.h"
#include "fb-nn-test-util.h"

/* Images of the recalibration: two batches of the default 128, two shards each. */
#define N_IMAGES 256

typedef struct {
  FbNetwork *net;
  FbWeights *weights;
  FbDataset *train;
} Fixture;

static gboolean
fixture_load (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = fb_test_network_path ("fmnist-mbv1.fbw");

  f->train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, &error);
  if (f->train == NULL && g_error_matches (error, FB_ERROR, FB_ERROR_IO))
    {
      g_test_skip_printf ("Fashion-MNIST is not installed: %s", error->message);
      return FALSE;
    }
  g_assert_no_error (error);
  f->net = fb_test_load_bundled ("fmnist-mbv1.json");
  f->weights = fb_weights_load (path, f->net, &error);
  g_assert_no_error (error);
  g_assert_true (fb_int_network_is_supernet (f->weights));
  return TRUE;
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->net, fb_network_unref);
  g_clear_pointer (&f->weights, fb_weights_unref);
  g_clear_pointer (&f->train, fb_dataset_unref);
}

/* Seeded random configs; every second one shares the first half of the
 * layers with the one before (the case the trie exists for). */
static GPtrArray *
random_configs (FbNetwork *net, guint n, guint32 seed)
{
  static const guint bits[] = { 8, 4, 2 };
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (guint k = 0; k < n; k++)
    {
      FbPrecisionConfig *c = k % 2 == 1 ? fb_precision_config_copy (g_ptr_array_index (out, k - 1))
                                        : fb_precision_config_new (net);
      guint from = k % 2 == 1 ? fb_network_get_n_layers (net) / 2 : 0;

      for (guint i = from; i < fb_network_get_n_layers (net); i++)
        {
          const FbLayer *l = fb_network_get_layer (net, i);
          guint b;
          if (fb_layer_is_weighted (l))
            {
              do
                b = bits[g_rand_int_range (rand, 0, 3)];
              while (!fb_network_layer_admits_weight_bits (net, i, b));
              fb_precision_config_set_weight_bits (c, i, b);
            }
          if (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION)
            {
              do
                b = bits[g_rand_int_range (rand, 0, 3)];
              while (!fb_network_tensor_admits_bits (net, l->output, b));
              fb_precision_config_set_tensor_bits (c, l->output, b);
            }
        }
      g_ptr_array_add (out, c);
    }
  return out;
}

/* Every tensor the integer network folds is byte for byte the same. */
static void
assert_same_folded (FbWeights *a, FbWeights *b)
{
  static const char *params[] = { "weight", "bias", "bn_gamma", "bn_beta", "bn_mean", "bn_var", "w_step",
                                  "act_alpha", "relu_max" };
  guint compared = 0;

  for (guint k = 0; k < fb_weights_get_n_tensors (a); k++)
    {
      const FbWeightsTensor *ta = fb_weights_get_tensor (a, k), *tb;
      gboolean folded = FALSE;
      for (guint p = 0; p < G_N_ELEMENTS (params); p++)
        folded |= g_str_equal (ta->param, params[p]);
      if (!folded)
        continue;
      tb = fb_weights_lookup (b, ta->layer, ta->param);
      g_assert_nonnull (tb);
      g_assert_cmpuint (ta->n, ==, tb->n);
      if (memcmp (ta->data, tb->data, ta->n * sizeof (float)) != 0)
        g_error ("(%s, %s) differs from fb_supernet_specialize()'s", ta->layer, ta->param);
      compared++;
    }
  g_assert_cmpuint (compared, >, 40);
}

/* The recalibrated weights of every config equal fb_supernet_specialize()'s,
 * whether the configs come one by one or in one run, and the logits of the
 * integer network with them are the same. */
static void
test_bit_identical (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(FbNnRecal) batch = NULL, single = NULL;

  if (!fixture_load (&f))
    return;
  configs = random_configs (f.net, 6, 7);
  batch = fb_nn_recal_new (f.net, f.weights, "w", f.train, N_IMAGES, &error);
  g_assert_no_error (error);
  single = fb_nn_recal_new (f.net, f.weights, "w", f.train, N_IMAGES, &error);
  g_assert_no_error (error);
  g_assert_true (fb_nn_recal_run (batch, (FbPrecisionConfig **) configs->pdata, configs->len, 2, NULL, &error));
  g_assert_no_error (error);
  for (guint k = 0; k < configs->len; k++)
    {
      FbPrecisionConfig *c = g_ptr_array_index (configs, k);
      g_autoptr(FbWeights) ref = fb_supernet_specialize (f.weights, "w", c, f.train, N_IMAGES, NULL, &error);
      g_autoptr(FbWeights) a = NULL, b = NULL;
      g_autoptr(FbIntNetwork) ia = NULL, ib = NULL;
      FbIntEvalResult ra, rb;

      g_assert_no_error (error);
      a = fb_nn_recal_weights (batch, c, NULL, &error);
      g_assert_no_error (error);
      b = fb_nn_recal_weights (single, c, NULL, &error);
      g_assert_no_error (error);
      assert_same_folded (ref, a);
      assert_same_folded (ref, b);
      g_assert_false (fb_int_network_is_supernet (a));
      ia = fb_int_network_new (c, ref, "ref", fb_kernel_arch (), &error);
      g_assert_no_error (error);
      ib = fb_int_network_new (c, a, "recal", fb_kernel_arch (), &error);
      g_assert_no_error (error);
      g_assert_true (fb_int_network_evaluate (ia, f.train, 200, 1, NULL, &ra, &error));
      g_assert_true (fb_int_network_evaluate (ib, f.train, 200, 1, NULL, &rb, &error));
      g_assert_cmphex (ra.logits_fnv1a, ==, rb.logits_fnv1a);
    }
  fixture_clear (&f);
}

/* The thread count changes nothing; shared prefixes run once; a config
 * already recalibrated costs no pass; all-8 is the supernet itself. */
static void
test_threads_and_sharing (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(FbNnRecal) one = NULL, three = NULL;
  g_autoptr(FbPrecisionConfig) w8a8 = NULL;
  g_autoptr(FbWeights) same = NULL;
  guint depth = 13;   /* fmnist-mbv1: conv1 … pw7 carry batch norm */
  guint shards = 2 * (N_IMAGES / 128);
  guint64 passes;

  if (!fixture_load (&f))
    return;
  configs = random_configs (f.net, 8, 11);
  one = fb_nn_recal_new (f.net, f.weights, "w", f.train, N_IMAGES, &error);
  g_assert_no_error (error);
  three = fb_nn_recal_new (f.net, f.weights, "w", f.train, N_IMAGES, &error);
  g_assert_no_error (error);
  g_assert_true (fb_nn_recal_run (one, (FbPrecisionConfig **) configs->pdata, configs->len, 1, NULL, &error));
  g_assert_true (fb_nn_recal_run (three, (FbPrecisionConfig **) configs->pdata, configs->len, 3, NULL, &error));
  g_assert_no_error (error);
  passes = fb_nn_recal_get_n_layer_passes (one);
  g_test_message ("%u configs: %" G_GUINT64_FORMAT " layer passes, %u without sharing", configs->len, passes,
                  configs->len * depth * shards);
  /* Pairs share their first half: at least a quarter of the passes saved. */
  g_assert_cmpuint (passes, <=, configs->len * depth * shards * 3 / 4);
  for (guint k = 0; k < configs->len; k++)
    {
      g_autoptr(FbWeights) a = fb_nn_recal_weights (one, g_ptr_array_index (configs, k), NULL, &error);
      g_autoptr(FbWeights) b = fb_nn_recal_weights (three, g_ptr_array_index (configs, k), NULL, &error);
      g_assert_no_error (error);
      assert_same_folded (a, b);
    }
  g_assert_cmpuint (fb_nn_recal_get_n_layer_passes (one), ==, passes);
  w8a8 = fb_precision_config_new (f.net);
  same = fb_nn_recal_weights (one, w8a8, NULL, &error);
  g_assert_true (same == f.weights);
  fixture_clear (&f);
}

/* A cancelled run fails cleanly and a later one still gives the right weights. */
static void
test_cancel (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(FbNnRecal) r = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  g_autoptr(FbWeights) a = NULL, ref = NULL;

  if (!fixture_load (&f))
    return;
  configs = random_configs (f.net, 2, 3);
  r = fb_nn_recal_new (f.net, f.weights, "w", f.train, N_IMAGES, &error);
  g_assert_no_error (error);
  g_cancellable_cancel (cancel);
  g_assert_false (fb_nn_recal_run (r, (FbPrecisionConfig **) configs->pdata, configs->len, 2, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  a = fb_nn_recal_weights (r, g_ptr_array_index (configs, 0), NULL, &error);
  g_assert_no_error (error);
  ref = fb_supernet_specialize (f.weights, "w", g_ptr_array_index (configs, 0), f.train, N_IMAGES, NULL, &error);
  g_assert_no_error (error);
  assert_same_folded (ref, a);
  fixture_clear (&f);
}

static void
on_progress (guint done, guint n, gpointer data)
{
  guint *last = data;

  g_assert_cmpuint (done, >=, *last);
  g_assert_cmpuint (done, <=, n);
  *last = done;
}

/* The nn oracle's evaluate_many (shared recalibration, configs side by
 * side, a repeated config measured once) gives the accuracies of one
 * evaluate() per config with one trainer per config (FB_NN_ORACLE_RECAL=trainer). */
static void
test_oracle_many (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(FbDataset) test = NULL;
  g_autoptr(FbAccuracyOracle) shared = NULL, reference = NULL;
  double acc[5];
  guint last = 0;

  if (!fixture_load (&f))
    return;
  test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
  g_assert_no_error (error);
  configs = random_configs (f.net, 3, 5);
  g_ptr_array_add (configs, fb_precision_config_copy (g_ptr_array_index (configs, 0)));
  g_ptr_array_add (configs, fb_precision_config_new (f.net));
  shared = fb_nn_oracle_new (f.net, f.weights, "w", test, f.train, NULL, &error);
  g_assert_no_error (error);
  g_setenv ("FB_NN_ORACLE_RECAL", "trainer", TRUE);
  reference = fb_nn_oracle_new (f.net, f.weights, "w", test, f.train, NULL, &error);
  g_unsetenv ("FB_NN_ORACLE_RECAL");
  g_assert_no_error (error);
  g_assert_true (fb_accuracy_oracle_evaluate_many (shared, (FbPrecisionConfig **) configs->pdata, configs->len, 300,
                                                   on_progress, &last, NULL, acc, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (last, ==, configs->len);
  g_assert_cmpuint (fb_nn_oracle_get_n_evaluations (shared), ==, 4);
  for (guint k = 0; k < configs->len; k++)
    {
      double a;
      g_assert_true (fb_accuracy_oracle_evaluate (reference, g_ptr_array_index (configs, k), 300, NULL, &a, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (a, ==, acc[k]);
    }
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/recal/bit-identical", test_bit_identical);
  g_test_add_func ("/nn/recal/threads-and-sharing", test_threads_and_sharing);
  g_test_add_func ("/nn/recal/cancel", test_cancel);
  g_test_add_func ("/nn/recal/oracle-many", test_oracle_many);
  return g_test_run ();
}
