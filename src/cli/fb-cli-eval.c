/* fb-cli-eval.c — freebits-cli eval NETWORK --config C [--weights W] [--data SET] [--limit N] [--repeat N] [--json]
 *
 * Folds the weights for the config into the integer network (FbIntNetwork),
 * runs it with the kernels on the test part of a dataset (default
 * Fashion-MNIST) and prints its top-1, top-5 and per-class accuracy (or the
 * mean squared error of a network whose output is values), the float
 * model's accuracy on the same images, the time and the logits checksum
 * (CONVENTIONS.md). Float-only weights (no learned "act_alpha")
 * are calibrated on training images first (post-training quantization).
 *
 * eval NETWORK --configs FILE [-l TABLE] [-o OUT]: the accuracy of many configs
 * (a candidates file, e.g. a search's -o, or one config per line) through the
 * accuracy engine, as a freebits-candidates/1 file with their metrics.  Under
 * mpirun the configs are split over the ranks (fb-accuracy-split.h); rank 0
 * prints and writes OUT, the same bytes as one process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>

#include "fb-accuracy-split.h"
#include "fb-cli.h"
#include "fb-dataset.h"
#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-mpi.h"
#include "fb-nn-ops.h"
#include "fb-nn-oracle.h"
#include "fb-search-summary.h"
#include "fb-trainer.h"

#define DEFAULT_CALIBRATION_IMAGES 2000
#define DEFAULT_BN_IMAGES 2048

static double
round3 (double v)
{
  return round (v * 1000) / 1000;
}

static gboolean
float_accuracy (FbNetwork *net, FbWeights *weights, const char *origin, FbDataset *test,
                guint limit, double *accuracy, GError **error)
{
  FbTrainOptions opt;
  g_autoptr(FbTrainer) trainer = NULL;
  double loss;

  fb_train_options_init (&opt);
  trainer = fb_trainer_new (net, &opt, weights, origin, error);
  return trainer != NULL && fb_trainer_evaluate (trainer, test, limit, NULL, accuracy, &loss, error);
}

static void
add_per_class (JsonBuilder *b, const FbNnEvalResult *r, FbDataset *test)
{
  json_builder_set_member_name (b, "per_class");
  json_builder_begin_array (b);
  for (guint c = 0; c < r->n_classes; c++)
    {
      json_builder_begin_object (b);
      fb_json_add_int (b, "class", c);
      if (fb_dataset_get_class_name (test, c) != NULL)
        fb_json_add_string (b, "name", fb_dataset_get_class_name (test, c));
      fb_json_add_int (b, "images", r->class_total[c]);
      fb_json_add_int (b, "correct", r->class_correct[c]);
      fb_json_add_double_or_null (b, "accuracy", fb_nn_eval_result_class_accuracy (r, c));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_accuracy (const FbNnEvalResult *r, FbDataset *test)
{
  g_print ("accuracy     %.2f %% (%u of %u test images, integer)\n", 100 * r->top1, r->correct,
           r->n_images);
  if (!isnan (r->top5))
    g_print ("top-5        %.2f %% (%u of %u)\n", 100 * r->top5, r->correct5, r->n_images);
  g_print ("per class   ");
  for (guint c = 0; c < r->n_classes; c++)
    {
      double a = fb_nn_eval_result_class_accuracy (r, c);
      const char *name = fb_dataset_get_class_name (test, c);
      g_autofree char *label = name != NULL ? g_strdup (name) : g_strdup_printf ("%u", c);
      if (isnan (a))
        g_print (" %s: -", label);
      else
        g_print (" %s: %.1f", label, 100 * a);
      if (c + 1 < r->n_classes)
        g_print (c % 10 == 9 ? "\n            " : ",");
    }
  g_print (" %%\n");
}

/* What eval measured, for the two output forms. */
typedef struct {
  FbNetwork             *net;
  const char            *config_spec;
  FbPrecisionConfig     *config;
  const char            *weights_path;
  gboolean               calibrated;
  guint                  calib_images;
  double                 calib_s;
  FbDataset             *test;
  const FbNnEvalResult  *r;
  double                 float_acc;
  gboolean               recalibrated;
  guint                  bn_images;
  double                 bn_s, fold_s, total_s;
  gint                   threads;
  /* --repeat N: the integer run's seconds of each of the N runs */
  const double *int_each;
  guint       repeat;
} EvalReport;

/* --repeat: the fastest of the integer runs (both reports print it). */
static double
int_seconds_min (const EvalReport *e)
{
  double min = e->int_each[0];
  for (guint i = 1; i < e->repeat; i++)
    min = MIN (min, e->int_each[i]);
  return min;
}

static void
report_json (const EvalReport *e)
{
  const FbNnEvalResult *r = e->r;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *cfg = fb_precision_config_to_string (e->config);
  g_autofree char *hash = g_strdup_printf ("0x%08x", r->logits_fnv1a);

  json_builder_begin_object (b);
  fb_json_add_string (b, "network", fb_network_get_name (e->net));
  fb_json_add_string (b, "config", e->config_spec);
  fb_json_add_string (b, "bits", cfg);
  fb_json_add_string (b, "weights", e->weights_path);
  fb_json_add_boolean (b, "calibrated", e->calibrated);
  if (e->calibrated)
    {
      fb_json_add_int (b, "calibration_images", e->calib_images);
      fb_json_add_double (b, "calibration_seconds", round3 (e->calib_s));
    }
  fb_json_add_string (b, "data", fb_dataset_get_path (e->test));
  fb_json_add_string (b, "output_kind", r->values ? "values" : "classes");
  fb_json_add_int (b, "images", r->n_images);
  if (r->values)
    {
      fb_json_add_double (b, "mse", r->mse);
      fb_json_add_double (b, "target_variance", r->target_variance);
      fb_json_add_double (b, "quality", r->quality);
    }
  else
    {
      fb_json_add_int (b, "correct", r->correct);
      fb_json_add_double (b, "accuracy", r->top1);
      fb_json_add_double (b, "top1", r->top1);
      fb_json_add_double_or_null (b, "top5", r->top5);
      add_per_class (b, r, e->test);
    }
  fb_json_add_double_or_null (b, "float_accuracy", e->float_acc);
  fb_json_add_boolean (b, "bn_recalibrated", e->recalibrated);
  if (e->recalibrated)
    fb_json_add_int (b, "bn_images", e->bn_images);
  fb_json_add_double (b, "bn_seconds", round3 (e->bn_s));
  fb_json_add_double (b, "fold_seconds", round3 (e->fold_s));
  fb_json_add_double (b, "int_seconds", round3 (r->seconds));
  if (e->repeat > 1)
    {
      fb_json_add_int (b, "repeat", e->repeat);
      json_builder_set_member_name (b, "int_seconds_each");
      json_builder_begin_array (b);
      for (guint i = 0; i < e->repeat; i++)
        json_builder_add_double_value (b, round3 (e->int_each[i]));
      json_builder_end_array (b);
      fb_json_add_double (b, "int_seconds_min", round3 (int_seconds_min (e)));
    }
  fb_json_add_double (b, "seconds", round3 (e->total_s));
  fb_json_add_double (b, "images_per_s", e->total_s > 0 ? round (r->n_images / e->total_s * 10) / 10 : 0.0);
  fb_json_add_int (b, "threads", e->threads);
  fb_json_add_string (b, "logits_fnv1a", hash);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  fb_cli_print_json (root);
}

static void
report_text (const EvalReport *e)
{
  const FbNnEvalResult *r = e->r;
  FbDataset *test = e->test;

  g_print ("network      %s, config %s\n", fb_network_get_name (e->net), e->config_spec);
  g_print ("weights      %s%s\n", e->weights_path,
           e->calibrated ? " (float-only: activations calibrated on training images)" : "");
  if (e->calibrated)
    g_print ("calibration  %u training images, %.2f s\n", e->calib_images, e->calib_s);
  g_print ("data         %s (%u×%u×%u %s)\n", fb_dataset_get_path (test), fb_dataset_get_height (test),
           fb_dataset_get_width (test), fb_dataset_get_channels (test),
           fb_dataset_dtype_to_string (fb_dataset_get_source_dtype (test)));
  if (r->values)
    g_print ("mse          %.6g (%u test examples, integer; target variance %.6g, explained %.2f %%)\n",
             r->mse, r->n_images, r->target_variance, 100 * r->quality);
  else
    print_accuracy (r, test);
  if (!isnan (e->float_acc))
    g_print ("float        %.2f %%\n", 100 * e->float_acc);
  if (e->recalibrated)
    g_print ("batch norm   recalibrated for the config on %u training images, %.2f s\n", e->bn_images, e->bn_s);
  g_print ("time         %.3f s, %.0f images/s (integer run %.3f s, fold %.3f s)\n", e->total_s,
           e->total_s > 0 ? r->n_images / e->total_s : 0.0, r->seconds, e->fold_s);
  if (e->repeat > 1)
    {
      g_print ("repeat       %u integer runs:", e->repeat);
      for (guint i = 0; i < e->repeat; i++)
        g_print (" %.3f", e->int_each[i]);
      g_print (" s (min %.3f s)\n", int_seconds_min (e));
    }
  g_print ("logits_fnv1a 0x%08x\n", r->logits_fnv1a);
}

/* ---- eval --configs: many configs through the accuracy engine ------------ */

/* One config per line of @text (a shorthand such as w4a8, or a config file,
 * relative to @path's folder); blank lines and # comments skipped. */
static gboolean
read_config_lines (FbNetwork *net, const char *path, const char *text, GPtrArray *candidates, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *dir = g_path_get_dirname (path);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *spec = g_strstrip (lines[i]);
      g_autofree char *near = NULL;
      g_autoptr(GError) local = NULL;
      g_autoptr(FbPrecisionConfig) config = NULL;
      FbCandidate *c;

      if (spec[0] == '\0' || spec[0] == '#')
        continue;
      near = g_path_is_absolute (spec) ? g_strdup (spec) : g_build_filename (dir, spec, NULL);
      config = fb_precision_config_new_from_spec (net, g_file_test (near, G_FILE_TEST_EXISTS) ? near : spec, &local);
      if (config == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s:%u: %s", path, i + 1, local->message);
          return FALSE;
        }
      if (!(c = fb_candidate_new_evaluated (config, NULL, NAN, "eval", NULL, error)))
        return FALSE;
      g_ptr_array_add (candidates, c);
    }
  if (candidates->len == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s: no configs (one per line, or a candidates file)", path);
      return FALSE;
    }
  return TRUE;
}

/* The configs of @path with their metrics on @table (may be NULL), accuracy unknown. */
static GPtrArray *
read_configs (FbNetwork *net, const char *path, FbLatencyTable *table, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) read = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (g_strchug (text)[0] == '{')
    {
      g_autoptr(FbCandidateList) list = fb_candidate_list_load (net, path, error);
      if (list == NULL)
        return NULL;
      for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
        g_ptr_array_add (read, fb_candidate_ref (fb_candidate_list_get (list, i)));
    }
  else if (!read_config_lines (net, path, text, read, error))
    return NULL;
  /* Metrics again, on this table (a candidates file may carry another's). */
  for (guint i = 0; i < read->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (read, i);
      FbCandidate *e = fb_candidate_new_evaluated (fb_candidate_get_config (c), table, NAN, fb_candidate_get_method (c),
                                                   fb_candidate_get_provenance (c), error);
      if (e == NULL)
        return NULL;
      g_ptr_array_add (out, e);
    }
  return g_steal_pointer (&out);
}

typedef struct {
  const char *network_path, *configs_path, *table_path, *weights_path, *output;
  FbCliData  *data;
  guint       limit;
  gboolean    json;
} EvalMany;

static int
eval_many (const EvalMany *e)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(FbAppSession) session = NULL;
  g_autoptr(FbAccuracyOracle) oracle = NULL;
  g_autoptr(GPtrArray) configs = NULL, measured = NULL;
  g_autoptr(FbCandidateList) list = NULL;
  FbSearchConstraints none;
  int status;

  if (!(net = fb_network_load (e->network_path, &error)) ||
      (e->table_path != NULL && !(table = fb_cli_load_table (e->table_path, net, &error))) ||
      !(configs = read_configs (net, e->configs_path, table, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (!(session = fb_cli_session_new (net, e->weights_path, e->data, &status)))
    return status;
  oracle = fb_cli_create_oracle (session, &error);
  if (oracle == NULL)
    {
      if (error != NULL)
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      g_printerr ("freebits-cli: no accuracy engine for this network (%s): --configs needs trained weights\n",
                  fb_network_get_name (net));
      return FB_CLI_EXIT_INPUT;
    }
  fb_search_constraints_init (&none);
  if (!fb_accuracy_split_measure (configs, oracle, e->limit, &none, NULL, NULL, NULL, &measured, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  list = fb_candidate_list_new (net);
  for (guint i = 0; i < measured->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (measured, i));
  /* Every rank got here (a failing one ends the run first); rank 0 writes. */
  fb_mpi_barrier ();
  if (e->output != NULL && fb_mpi_is_root () && !fb_candidate_list_save (list, e->output, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  if (e->json)
    {
      g_autoptr(JsonNode) root = fb_candidate_list_to_json (list);
      fb_cli_print_json (root);
    }
  else
    fb_cli_print_candidates (list, table);
  return FB_CLI_EXIT_OK;
}

/* --repeat N: runs 2..N of the integer evaluation @first was run 1 of (timing on a loaded
 * machine: the minimum); returns each run's seconds (N, newly allocated).  Every run must give
 * the same logits. */
static double *
eval_repeat (FbIntNetwork *inet, FbDataset *test, guint limit, guint threads,
             const FbNnEvalResult *first, guint repeat, GError **error)
{
  g_autofree double *each = g_new (double, repeat);
  each[0] = first->seconds;
  for (guint i = 1; i < repeat; i++)
    {
      FbNnEvalResult again;
      guint32 hash;
      if (!fb_nn_evaluate (inet, test, limit, threads, NULL, &again, error))
        return NULL;
      each[i] = again.seconds;
      hash = again.logits_fnv1a;
      fb_nn_eval_result_clear (&again);
      if (hash != first->logits_fnv1a)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, "--repeat: run %u gave other logits",
                       i + 1);
          return NULL;
        }
    }
  return g_steal_pointer (&each);
}

int
fb_cli_eval (int argc, char **argv)
{
  g_autofree char *config_spec = NULL, *weights_path = NULL, *data_dir = NULL, *save_path = NULL;
  g_autofree char *layout = NULL, *configs_path = NULL, *table_path = NULL, *output = NULL;
  double val_split = 0.0, *int_each = NULL;
  gint limit = 0, calib = DEFAULT_CALIBRATION_IMAGES, bn_images = DEFAULT_BN_IMAGES, threads = 0;
  gint repeat = 1;
  gboolean json = FALSE, no_float = FALSE;
  GOptionEntry entries[] = {
    FB_CLI_CONFIG_ENTRY (&config_spec, "Precision config: a freebits-config/1 file or a shorthand such as w8a8"),
    FB_CLI_WEIGHTS_ENTRY (&weights_path, "Weights file (default: the network's \"weights\")"),
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Evaluate the first N test images only (default: all)", "N" },
    FB_CLI_JSON_ENTRY (&json, "Print JSON (accuracy as a fraction)"),
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Dataset: .npz, .npy, IDX, CIFAR-10 .bin, class folders of images, or a directory of those (default: Fashion-MNIST, " FB_FASHION_MNIST_DIR ")", "PATH" },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout, "Layout of 4-D arrays: nhwc, nchw or auto (default: the one matching the network)", "L" },
    { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &val_split, "One-set data: the last fraction F of it is the test part (default: all of it)", "F" },
    { "calibration-images", 0, 0, G_OPTION_ARG_INT, &calib, "Training images that calibrate float-only weights (default 2000)", "N" },
    { "bn-images", 0, 0, G_OPTION_ARG_INT, &bn_images, "Training images that recalibrate batch norm of supernet weights for the config (default 2048)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Evaluation threads (default: $FB_NN_THREADS or the cores)", "N" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Run the integer evaluation N times (timing): int_seconds_each, int_seconds_min (default 1)", "N" },
    { "no-float", 0, 0, G_OPTION_ARG_NONE, &no_float, "Skip the float model's accuracy", NULL },
    { "save-calibrated", 0, 0, G_OPTION_ARG_FILENAME, &save_path, "Write the weights evaluated (with the calibrated act_alpha) to W", "W" },
    { "configs", 0, 0, G_OPTION_ARG_FILENAME, &configs_path,
      "Evaluate many configs instead (a candidates file, or one config per line) through the accuracy engine; "
      "under mpirun split over the ranks", "FILE" },
    FB_CLI_LATENCY_ENTRY (&table_path, "--configs: latency table for the configs' metrics"),
    FB_CLI_OUTPUT_ENTRY (&output, "--configs: write the measured candidates here (atomically)", "FILE"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbWeights) weights = NULL, folded = NULL;
  g_autoptr(FbDataset) test = NULL, train = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  FbDatasetSpec spec;
  FbNnEvalResult r;
  double float_acc = NAN, calib_s = 0.0, bn_s = 0.0, fold_s, total_s;
  gboolean recalibrated = FALSE;
  gboolean calibrated = FALSE;
  gint64 t0;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Evaluates NETWORK at a precision config in integer arithmetic, exactly as the\n"
    "exported C runs it, on the test part of --data (default: the Fashion-MNIST test\n"
    "set, Debian package dataset-fashion-mnist): top-1, top-5 and per-class accuracy,\n"
    "or the mean squared error of a network whose output is values. Float-only weights\n"
    "are calibrated on training images first (post-training quantization).\n"
    "With --configs FILE: the accuracy of many configs (a candidates file or one per\n"
    "line) through the accuracy engine, as a candidates file (-o); under mpirun the\n"
    "configs are split over the ranks."))
    return FB_CLI_EXIT_INPUT;
  if (limit < 0 || calib < 1 || bn_images < 1 || threads < 0 || threads > 256 || repeat < 1)
    return fb_cli_usage (context, "--limit must be ≥ 0, --calibration-images and --bn-images ≥ 1, "
                                  "--threads 0..256, --repeat ≥ 1");
  if (!(val_split >= 0 && val_split < 1))
    return fb_cli_usage (context, "--val-split must be in [0, 1)");
  if (configs_path != NULL)
    {
      FbCliData data = { data_dir, layout, val_split };
      EvalMany e = { argv[1], configs_path, table_path, weights_path, output, &data, (guint) limit, json };

      if (config_spec != NULL || repeat != 1)
        return fb_cli_usage (context, "--config and --repeat go without --configs");
      return eval_many (&e);
    }
  if (table_path != NULL || output != NULL)
    return fb_cli_usage (context, "--latency and --output go with --configs");
  if (config_spec == NULL)
    return fb_cli_usage (context, "missing --config CONFIG (or --configs FILE)");

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    goto input_error;
  config = fb_precision_config_new_from_spec (net, config_spec, &error);
  if (config == NULL)
    goto input_error;
  weights = fb_cli_load_weights (net, argv[1], &weights_path, &error);
  if (weights == NULL)
    goto input_error;
  fb_dataset_spec_init_for_network (&spec, net);
  spec.val_split = val_split;
  if (!fb_dataset_layout_from_string (layout, &spec.layout))
    return fb_cli_usage (context, "--layout must be nhwc, nchw or auto");
  /* The training part only when the weights need it (calibration, batch norm). */
  if (!fb_dataset_open (data_dir, &spec,
                        fb_int_network_needs_calibration (net, weights) || fb_int_network_is_supernet (weights)
                          ? &train : NULL, &test, NULL, &error))
    goto input_error;
  if (fb_int_network_needs_calibration (net, weights))
    {
      g_autoptr(FbWeights) cal = NULL;
      t0 = g_get_monotonic_time ();
      cal = fb_int_network_calibrate (net, weights, weights_path, train, (guint) calib, NULL, &error);
      if (cal == NULL)
        goto input_error;
      calib_s = (g_get_monotonic_time () - t0) / 1e6;
      g_clear_pointer (&weights, fb_weights_unref);
      weights = g_steal_pointer (&cal);
      calibrated = TRUE;
    }

  if (save_path != NULL && !fb_weights_save (weights, save_path, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);

  /* Per config: batch-norm recalibration (supernet weights), folding and
   * the integer run are all part of the measured time. */
  t0 = g_get_monotonic_time ();
  folded = fb_int_network_weights_for_config (weights, weights_path, config, train, (guint) bn_images,
                                              NULL, &error);
  if (folded == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  recalibrated = folded != weights;
  bn_s = (g_get_monotonic_time () - t0) / 1e6;
  t0 = g_get_monotonic_time ();
  inet = fb_int_network_new (config, folded, weights_path, fb_kernel_arch (), &error);
  if (inet == NULL)
    goto input_error;
  fold_s = (g_get_monotonic_time () - t0) / 1e6;
  if (!fb_nn_evaluate (inet, test, (guint) limit, (guint) threads, NULL, &r, &error)
      || (int_each = eval_repeat (inet, test, (guint) limit, (guint) threads, &r, (guint) repeat,
                                  &error)) == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  total_s = bn_s + fold_s + r.seconds;
  /* The float trainer measures classifiers only. */
  if (!no_float && !r.values && !float_accuracy (net, weights, weights_path, test, (guint) limit, &float_acc, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);

  {
    EvalReport rep = {
      .net = net, .config_spec = config_spec, .config = config, .weights_path = weights_path,
      .calibrated = calibrated, .calib_s = calib_s, .test = test, .r = &r, .float_acc = float_acc,
      .recalibrated = recalibrated, .bn_s = bn_s, .fold_s = fold_s, .total_s = total_s,
      .threads = threads > 0 ? threads : (gint) fb_nn_threads_init (), .repeat = (guint) repeat,
      .calib_images = train != NULL ? MIN ((guint) calib, fb_dataset_get_n_images (train)) : 0,
      .bn_images = train != NULL ? MIN ((guint) bn_images, fb_dataset_get_n_images (train)) : 0,
      .int_each = int_each };
    if (json)
      report_json (&rep);
    else
      report_text (&rep);
  }
  fb_nn_eval_result_clear (&r);
  g_free (int_each);
  return FB_CLI_EXIT_OK;

input_error:
  return fb_cli_error (error, FB_CLI_EXIT_INPUT);
}
