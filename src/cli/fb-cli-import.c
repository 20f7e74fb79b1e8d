/* fb-cli-import.c — freebits-cli import MODEL.onnx -o NET.json [input options]
 *
 * Writes NET.json (freebits-network/1) and NET.fbw (its float weights,
 * freebits-weights/1), or nothing at all; errors are one line, exit 2.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "fb-cli.h"
#include "fb-error.h"
#include "fb-onnx-import.h"

/* "0.485,0.456,0.406" → numbers; FALSE (and @error naming @option) on anything else. */
static gboolean
parse_list (const char *text, const char *option, GArray *out, GError **error)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return TRUE;
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *end = NULL;
      double v;
      errno = 0;
      v = g_ascii_strtod (g_strstrip (parts[i]), &end);
      if (end == parts[i] || *end != '\0' || errno != 0 || !isfinite (v))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "--%s: \"%s\" is not a number (expected a comma-separated list)",
                       option, parts[i]);
          return FALSE;
        }
      g_array_append_val (out, v);
    }
  return TRUE;
}

static void
print_summary (const char *model, const char *out, const char *wpath, FbNetwork *net)
{
  g_autofree char *macs = fb_cli_group (fb_network_get_macs (net));
  g_autofree char *params = fb_cli_group (fb_network_get_params (net));

  g_print ("%s -> %s (weights %s): %u layers, %u with weights, %s MACs, %s parameters\n",
           model, out, wpath, fb_network_get_n_layers (net), fb_network_get_n_weighted (net), macs, params);
}

int
fb_cli_import (int argc, char **argv)
{
  g_autofree char *output = NULL, *mean = NULL, *std = NULL, *name = NULL, *kind = NULL, *wpath = NULL;
  double scale = 0;
  int zero_point = 0;
  gboolean is_signed = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("MODEL.onnx - ONNX model to freebits network");
  g_autoptr(GArray) means = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) stds = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(FbOnnxImport) imp = NULL;
  FbOnnxImportOptions options;
  GOptionEntry entries[] = {
    FB_CLI_OUTPUT_ENTRY (&output, "Network file to write (its weights go next to it, .fbw)", "NET.json"),
    { "input-scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "Real value of one input step: real = (x - zero point) * S (default 1/255)", "S" },
    { "input-zero-point", 0, 0, G_OPTION_ARG_INT, &zero_point, "Integer input value that means 0.0 (default 0)", "Z" },
    { "input-signed", 0, 0, G_OPTION_ARG_NONE, &is_signed, "The input is int8 (e.g. MFCC features), not u8 pixels", NULL },
    { "mean", 0, 0, G_OPTION_ARG_STRING, &mean, "Per-channel mean the model subtracted from its input, folded into the first layer", "m,..." },
    { "std", 0, 0, G_OPTION_ARG_STRING, &std, "Per-channel standard deviation the model divided its input by", "s,..." },
    { "output-kind", 0, 0, G_OPTION_ARG_STRING, &kind, "classes (logits, argmax) or values (a reconstruction); default: guessed, see docs/import.md", "K" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Network name (default: the model's file name)", "NAME" },
    { NULL }
  };

  if (!fb_cli_parse_one (context, entries, "MODEL.onnx", &argc, &argv,
                         "Converts a model exported by torch.onnx.export or tf2onnx (docs/import.md)."))
    return FB_CLI_EXIT_INPUT;
  if (output == NULL)
    return fb_cli_usage (context, "missing -o NET.json");
  if (!parse_list (mean, "mean", means, &error) || !parse_list (std, "std", stds, &error))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);

  fb_onnx_import_options_init (&options);
  options.name = name;
  options.input_signed = is_signed;
  options.input_scale = scale;
  options.input_zero_point = zero_point;
  options.n_mean = means->len;
  options.mean = (const double *) means->data;
  options.n_std = stds->len;
  options.std = (const double *) stds->data;
  options.output_kind = kind;
  if ((imp = fb_onnx_import_load (argv[1], &options, &error)) == NULL ||
      !fb_onnx_import_save (imp, output, &wpath, &error))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  for (const char * const *note = fb_onnx_import_get_notes (imp); *note != NULL; note++)
    g_printerr ("freebits-cli: note: %s\n", *note);
  print_summary (argv[1], output, wpath, fb_onnx_import_get_network (imp));
  return FB_CLI_EXIT_OK;
}
