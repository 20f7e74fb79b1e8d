/* fb-cli-export.c — freebits-cli export NETWORK --config C [--weights W] [--latency T]
 *                   [--images N] [--data PATH [--layout L] [--val-split F]] [--force] -o DIR
 *
 * Folds the weights for the config into the integer network (as `freebits-cli eval` does,
 * calibrating float-only weights the same way, so the accuracies agree) and writes the C
 * bundle of docs/export.md. The test images are the first N of the test part of --data
 * (default Fashion-MNIST), the same data set eval reads, in the network's input format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-cli.h"
#include "fb-dataset.h"
#include "fb-error.h"
#include "fb-exporter.h"
#include "fb-int-network.h"

/* Same default as `freebits-cli eval`, so both fold the same integers. */
#define DEFAULT_CALIBRATION_IMAGES 2000
#define DEFAULT_BN_IMAGES 2048

int
fb_cli_export (int argc, char **argv)
{
  g_autofree char *config_spec = NULL, *weights_path = NULL, *latency_path = NULL;
  g_autofree char *output = NULL;
  g_auto(FbCliData) data = { 0 };
  gint images = FB_EXPORTER_DEFAULT_IMAGES, calib = DEFAULT_CALIBRATION_IMAGES, bn_images = DEFAULT_BN_IMAGES;
  gboolean force = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
    FB_CLI_CONFIG_ENTRY (&config_spec, "Precision config: a freebits-config/1 file or a shorthand such as w8a8"),
    FB_CLI_WEIGHTS_ENTRY (&weights_path, "Weights file (default: the network's \"weights\")"),
    FB_CLI_LATENCY_ENTRY (&latency_path, "Latency table for the per-layer comments and the provenance"),
    FB_CLI_OUTPUT_ENTRY (&output, "Bundle directory to create", "DIR"),
    { "images", 'n', 0, G_OPTION_ARG_INT, &images, "Test images to export and evaluate (default 1000; 0: none)", "N" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace DIR if it is an earlier bundle", NULL },
    FB_CLI_DATA_ENTRIES (&data),
    { "calibration-images", 0, 0, G_OPTION_ARG_INT, &calib, "Training images that calibrate float-only weights (default 2000, as eval)", "N" },
    { "bn-images", 0, 0, G_OPTION_ARG_INT, &bn_images,
      "Training images that recalibrate batch norm of supernet weights for the config (default 2048, as eval)", "N" },
    FB_CLI_QUIET_ENTRY (&quiet, "Print nothing on success"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(FbAppSession) session = NULL;
  FbDataset *test = NULL, *train = NULL;
  g_autoptr(FbWeights) folded = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) exporter = NULL;
  g_autofree char *label = NULL;
  const FbIntEvalResult *eval;
  int status;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Writes a C project that runs NETWORK at a precision config with the freebits kernels:\n"
    "freebits_config.json, network.[ch], weights.[ch], the kernel sources it needs, a test\n"
    "harness with the first N test images of --data, a Makefile (host, rv32imc,\n"
    "run-rv32imc) and a README. The bundle is written atomically."))
    return FB_CLI_EXIT_INPUT;
  if (config_spec == NULL)
    return fb_cli_usage (context, "missing --config CONFIG");
  if (output == NULL)
    return fb_cli_usage (context, "missing -o DIR");
  if (images < 0 || calib < 1 || bn_images < 1)
    return fb_cli_usage (context, "--images must be ≥ 0, --calibration-images and --bn-images ≥ 1");
  /* Fail before the slow steps; the exporter checks again when it writes. */
  if (!force && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      g_set_error (&error, FB_ERROR, FB_ERROR_IO, "%s already exists; use --force to replace it",
                   output);
      return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  config = fb_precision_config_new_from_spec (net, config_spec, &error);
  if (config == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  weights = fb_cli_load_weights (net, argv[1], &weights_path, &error);
  if (weights == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (latency_path != NULL)
    {
      table = fb_latency_table_load (latency_path, &error);
      if (table == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      if (!fb_latency_table_check_network (table, net, &error))
        {
          g_prefix_error (&error, "%s: ", latency_path);
          return fb_cli_error (error, FB_CLI_EXIT_INPUT);
        }
    }
  /* The datasets through the session, as search and compare read them. */
  if (!(session = fb_cli_session_new (net, weights_path, &data, &status)))
    return status;
  if (images > 0 && !(test = fb_app_session_load_dataset (session, FB_DATASET_TEST, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  /* Training images calibrate float-only weights and recalibrate a
   * supernet's batch norm for the config: the bundle computes what eval,
   * the searches and the GUI measured. */
  if ((fb_int_network_needs_calibration (net, weights) || fb_int_network_is_supernet (weights)) &&
      !(train = fb_app_session_load_dataset (session, FB_DATASET_TRAIN, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (fb_int_network_needs_calibration (net, weights))
    {
      g_autoptr(FbWeights) cal = NULL;
      if (!quiet)
        g_printerr ("calibrating the activation ranges of %s on %d training images…\n",
                    weights_path, calib);
      cal = fb_int_network_calibrate (net, weights, weights_path, train, (guint) calib, NULL, &error);
      if (cal == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      g_clear_pointer (&weights, fb_weights_unref);
      weights = g_steal_pointer (&cal);
    }
  folded = fb_int_network_weights_for_config (weights, weights_path, config, train, (guint) bn_images, NULL,
                                              &error);
  if (folded == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  inet = fb_int_network_new (config, folded, weights_path, FB_KERNEL_ARCH_HOST, &error);
  if (inet == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);

  exporter = fb_exporter_new (inet);
  label = g_path_get_basename (config_spec);
  fb_exporter_set_config_label (exporter, label);
  fb_exporter_set_latency_table (exporter, table);
  fb_exporter_set_weights_origin (exporter, weights_path);
  if (test != NULL)
    fb_exporter_set_test_images (exporter, test, (guint) images);
  if (!fb_exporter_write (exporter, output, force, NULL, &error))
    return fb_cli_error (error, g_error_matches (error, FB_ERROR, FB_ERROR_IO)
                                  ? FB_CLI_EXIT_FAILED : FB_CLI_EXIT_INPUT);

  if (!quiet)
    {
      const char *const *files = fb_exporter_get_files (exporter);
      g_print ("wrote %s:", output);
      for (guint i = 0; files[i] != NULL; i++)
        g_print (" %s", files[i]);
      g_print ("\n");
      eval = fb_exporter_get_evaluation (exporter);
      if (eval != NULL)
        g_print ("in-process evaluation of the %u exported images: accuracy %.4f (%u/%u), "
                 "logits_fnv1a 0x%08x\n", eval->n_images, eval->accuracy, eval->correct,
                 eval->n_images, eval->logits_fnv1a);
      g_print ("build and run: make -C %s host && (cd %s && ./fb_demo test_images.bin test_labels.bin)\n",
               output, output);
    }
  return FB_CLI_EXIT_OK;
}
