/* fb-cli.c — freebits-cli: every action of the application, headless.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>

#include "fb-app-locale.h"
#include "fb-build-config.h"
#include "fb-cli.h"
#include "fb-error.h"
#include "fb-json.h"
#include "fb-mpi.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Subcommand;

static const Subcommand subcommands[] = {
  { "info",    fb_cli_info,    "Per-layer table and totals of a network (MACs, parameters)" },
  { "metrics", fb_cli_metrics, "Size, BOPs, latency and peak memory of a precision config" },
  { "bench",   fb_cli_bench,   "Benchmarks (bench kernels, bench search)" },
  { "latency", fb_cli_latency, "Latency tables: measure (rv32imc, host), model (gap8), import (CSV)" },
  { "search",  fb_cli_search,  "Search bit-widths: uniform baselines, Free Bits heuristic, exact Pareto front" },
  { "compare", fb_cli_compare, "BOPs vs latency: rank correlation and BOPs- vs latency-optimal configs per target" },
  { "train",   fb_cli_train,   "Train a network on Fashion-MNIST, in float or as a quantization-aware supernet (checkpointed, resumable)" },
  { "finetune", fb_cli_finetune, "Quantization-aware fine-tuning of one precision config from supernet weights" },
  { "eval",    fb_cli_eval,    "Accuracy of a precision config in integer arithmetic (Fashion-MNIST test set)" },
  { "export",  fb_cli_export,  "Write a C project (network, weights, kernels, harness, Makefile) for a precision config" },
  { "import",  fb_cli_import,  "Convert an ONNX model (torch.onnx.export, tf2onnx) to a network and its float weights" },
};

static const GOptionEntry *
find_short (const GOptionEntry *entries, char c)
{
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    if (e->short_name == c)
      return e;
  return NULL;
}

static const GOptionEntry *
find_long (const GOptionEntry *entries, const char *name, gsize len)
{
  for (const GOptionEntry *e = entries; e->long_name != NULL; e++)
    if (strlen (e->long_name) == len && strncmp (e->long_name, name, len) == 0)
      return e;
  return NULL;
}

static gboolean
takes_value (const GOptionEntry *e)
{
  return e != NULL && e->arg != G_OPTION_ARG_NONE &&
         !(e->arg == G_OPTION_ARG_CALLBACK && (e->flags & G_OPTION_FLAG_NO_ARG));
}

/* GOption reads a short option's value only from the next argument, so "-j2" would take
 * whatever follows as -j's value. Split an attached value off as getopt does ("-j2" →
 * "-j" "2", "-qj2" → "-qj" "2") into a new vector; the new strings go to @owned. An
 * argument that is the value of the option before it is left alone. */
static char **
split_attached_values (const GOptionEntry *entries, int argc, char **argv, GPtrArray *owned)
{
  GPtrArray *out = g_ptr_array_new ();

  g_ptr_array_add (out, argv[0]);
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      gsize len = strlen (a);
      gboolean value_follows = FALSE;

      if (strcmp (a, "--") == 0)
        {
          for (; i < argc; i++)
            g_ptr_array_add (out, argv[i]);
          break;
        }
      if (g_str_has_prefix (a, "--"))
        value_follows = strchr (a, '=') == NULL && takes_value (find_long (entries, a + 2, len - 2));
      else if (a[0] == '-')
        for (gsize k = 1; k < len; k++)
          {
            const GOptionEntry *e = find_short (entries, a[k]);
            if (e == NULL || !takes_value (e))
              continue;
            if (k + 1 == len)
              value_follows = TRUE;
            else
              {
                char *option = g_strndup (a, k + 1), *value = g_strdup (a + k + 1);
                g_ptr_array_add (owned, option);
                g_ptr_array_add (owned, value);
                g_ptr_array_add (out, option);
                a = value;
              }
            break;
          }
      g_ptr_array_add (out, (char *) a);
      if (value_follows && i + 1 < argc)
        g_ptr_array_add (out, argv[++i]);
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

gboolean
fb_cli_parse (GOptionContext *context, const GOptionEntry *entries, int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  g_autofree char **split = split_attached_values (entries, *argc, *argv, owned);
  int n = (int) g_strv_length (split);
  char **parsed = split;

  if (!g_option_context_parse (context, &n, &parsed, &error))
    {
      g_printerr ("freebits-cli: %s\n", error->message);
      g_printerr ("Try \"%s --help\".\n", g_get_prgname () != NULL ? g_get_prgname () : "freebits-cli");
      return FALSE;
    }
  /* What is left (the operands) are the caller's strings, fewer than it passed: hand them
   * back in its own vector, as if GOption had parsed that. */
  for (int i = 0; i < n; i++)
    (*argv)[i] = parsed[i];
  (*argv)[n] = NULL;
  *argc = n;
  return TRUE;
}

gboolean
fb_cli_parse_one (GOptionContext *context, const GOptionEntry *entries, const char *operand,
                  int *argc, char ***argv, const char *summary)
{
  if (summary != NULL)
    g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!fb_cli_parse (context, entries, argc, argv))
    return FALSE;
  if (*argc != 2)
    {
      g_autofree char *message = g_strdup_printf ("expected one %s file", operand);
      fb_cli_usage (context, message);
      return FALSE;
    }
  return TRUE;
}

FbWeights *
fb_cli_load_weights (FbNetwork *net, const char *network_path, char **weights_path,
                     GError **error)
{
  if (*weights_path == NULL)
    {
      if (fb_network_get_weights_path (net) == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                       "%s names no weights file: pass --weights W (e.g. a file written by "
                       "\"freebits-cli train\")", network_path);
          return NULL;
        }
      *weights_path = g_strdup (fb_network_get_weights_path (net));
    }
  return fb_weights_load (*weights_path, net, error);
}

FbLatencyTable *
fb_cli_load_table (const char *path, FbNetwork *net, GError **error)
{
  g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, error);
  if (table == NULL || !fb_latency_table_check_network (table, net, error))
    return NULL;
  return g_steal_pointer (&table);
}

int
fb_cli_error (const GError *error, int status)
{
  /* Under mpirun a failing rank ends the whole run: the others may be waiting
   * for it in a collective. */
  if (fb_mpi_get_size () > 1)
    fb_mpi_abort (status, error->message);
  g_printerr ("freebits-cli: %s\n", error->message);
  return status;
}

int
fb_cli_usage (GOptionContext *context, const char *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
  g_printerr ("freebits-cli: %s\n\n%s", message, help);
  return FB_CLI_EXIT_INPUT;
}

void
fb_cli_print_json (JsonNode *root)
{
  g_autofree char *text = fb_json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

char *
fb_cli_group (guint64 value)
{
  return fb_metrics_format_count (value);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: freebits-cli COMMAND [OPTIONS...]\n\n"
                "Explore per-layer bit-widths of small CNNs for microcontrollers.\n\n"
                "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    fprintf (out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf (out, "\nRun \"freebits-cli COMMAND --help\" for a command's options.\n"
                "Configs: a freebits-config/1 JSON file or a shorthand such as w8a8, w4a8, w2a2.\n");
}

static int
run_command (int argc, char **argv)
{
  /* The libraries' error messages are translated (po/). */
  fb_app_locale_init ();

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? FB_CLI_EXIT_INPUT : FB_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      g_print ("freebits-cli %s\n", FB_VERSION);
      return FB_CLI_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (subcommands); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("freebits-cli %s", argv[1]);
        g_set_prgname (prgname);
        return subcommands[i].run (argc - 1, argv + 1);
      }
  g_printerr ("freebits-cli: unknown command \"%s\"\n\n", argv[1]);
  print_usage (stderr);
  return FB_CLI_EXIT_INPUT;
}

int
main (int argc, char **argv)
{
  int status;

  /* One process unless started by mpirun/srun; then rank 0 alone prints results
   * (the others' stdout is discarded) and a rank's failure ends the run. */
  fb_mpi_init (&argc, &argv);
  if (!fb_mpi_is_root () && freopen ("/dev/null", "w", stdout) == NULL)
    fb_mpi_abort (FB_CLI_EXIT_FAILED, "cannot discard the output of ranks other than 0");
  status = run_command (argc, argv);
  if (status != FB_CLI_EXIT_OK && fb_mpi_get_size () > 1)
    fb_mpi_abort (status, NULL);
  fb_mpi_finalize ();
  return status;
}
