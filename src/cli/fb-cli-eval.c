/* fb-cli-eval.c — freebits-cli eval NETWORK --config C [--weights W] [--data SET] [--limit N] [--json]
 *
 * Folds the weights for the config into the integer network (FbIntNetwork),
 * runs it with the kernels on the test part of a dataset (default
 * Fashion-MNIST) and prints its top-1, top-5 and per-class accuracy (or the
 * mean squared error of a network whose output is values), the float
 * model's accuracy on the same images, the time and the logits checksum
 * (CONVENTIONS.md). Float-only weights (no learned "act_alpha")
 * are calibrated on training images first (post-training quantization).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdio.h>

#include "fb-cli.h"
#include "fb-dataset.h"
#include "fb-int-network.h"
#include "fb-nn-ops.h"
#include "fb-nn-oracle.h"
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
} EvalReport;

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
  g_print ("logits_fnv1a 0x%08x\n", r->logits_fnv1a);
}

int
fb_cli_eval (int argc, char **argv)
{
  g_autofree char *config_spec = NULL, *weights_path = NULL, *data_dir = NULL, *save_path = NULL;
  g_autofree char *layout = NULL;
  double val_split = 0.0;
  gint limit = 0, calib = DEFAULT_CALIBRATION_IMAGES, bn_images = DEFAULT_BN_IMAGES, threads = 0;
  gboolean json = FALSE, no_float = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_STRING, &config_spec, "Precision config: a freebits-config/1 file or a shorthand such as w8a8", "C" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights_path, "Weights file (default: the network's \"weights\")", "W" },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Evaluate the first N test images only (default: all)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON (accuracy as a fraction)", NULL },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Dataset: .npz, .npy, IDX, CIFAR-10 .bin, class folders of images, or a directory of those (default: Fashion-MNIST, " FB_FASHION_MNIST_DIR ")", "PATH" },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout, "Layout of 4-D arrays: nhwc, nchw or auto (default: the one matching the network)", "L" },
    { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &val_split, "One-set data: the last fraction F of it is the test part (default: all of it)", "F" },
    { "calibration-images", 0, 0, G_OPTION_ARG_INT, &calib, "Training images that calibrate float-only weights (default 2000)", "N" },
    { "bn-images", 0, 0, G_OPTION_ARG_INT, &bn_images, "Training images that recalibrate batch norm of supernet weights for the config (default 2048)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Evaluation threads (default: $FB_NN_THREADS or the cores)", "N" },
    { "no-float", 0, 0, G_OPTION_ARG_NONE, &no_float, "Skip the float model's accuracy", NULL },
    { "save-calibrated", 0, 0, G_OPTION_ARG_FILENAME, &save_path, "Write the weights evaluated (with the calibrated act_alpha) to W", "W" },
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
    "are calibrated on training images first (post-training quantization)."))
    return FB_CLI_EXIT_INPUT;
  if (config_spec == NULL)
    return fb_cli_usage (context, "missing --config C");
  if (limit < 0 || calib < 1 || bn_images < 1 || threads < 0 || threads > 256)
    return fb_cli_usage (context, "--limit must be ≥ 0, --calibration-images and --bn-images ≥ 1, "
                                  "--threads 0..256");
  if (!(val_split >= 0 && val_split < 1))
    return fb_cli_usage (context, "--val-split must be in [0, 1)");

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
  if (!fb_nn_evaluate (inet, test, (guint) limit, (guint) threads, NULL, &r, &error))
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
      .threads = threads > 0 ? threads : (gint) fb_nn_threads_init (),
      .calib_images = train != NULL ? MIN ((guint) calib, fb_dataset_get_n_images (train)) : 0,
      .bn_images = train != NULL ? MIN ((guint) bn_images, fb_dataset_get_n_images (train)) : 0,
    };
    if (json)
      report_json (&rep);
    else
      report_text (&rep);
  }
  fb_nn_eval_result_clear (&r);
  return FB_CLI_EXIT_OK;

input_error:
  return fb_cli_error (error, FB_CLI_EXIT_INPUT);
}
