/* fb-cli-latency.c — freebits-cli latency measure|model|import|run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   latency measure NETWORK --target rv32imc|host -o TABLE   every layer × admissible key
 *   latency model NETWORK --target gap8|gap8-xpulpnn -o TABLE
 *   latency import FILE.csv --network NETWORK --target NAME --unit UNIT -o TABLE
 *   latency run NETWORK [--config C] --target rv32imc|host [--latency TABLE] [--json]
 *
 * Tables are written only when complete, atomically (fb_latency_table_save()): an
 * interrupted measurement (Ctrl-C) leaves no file behind and exits with status 130.
 */
#include <math.h>
#include <signal.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fb-cli.h"
#include "fb-error.h"
#include "fb-latency-import.h"
#include "fb-latency-measure-job.h"
#include "fb-latency-measure.h"
#include "fb-latency-model.h"
#include "fb-mpi.h"

#define FB_CLI_EXIT_INTERRUPTED 130

typedef struct {
  gboolean tty;
  gboolean quiet;
  guint last_len;
} Progress;

/* Each entry measured: "[done/total] layer key". */
static void
on_job_progress (FbJob *job, Progress *p)
{
  if (p->quiet || fb_job_get_stage (job) == NULL)
    return;
  if (p->tty)
    g_printerr ("\r\033[K%s", fb_job_get_stage (job));
  else
    g_printerr ("%s\n", fb_job_get_stage (job));
  p->last_len = 1;
}

static void
progress_end (Progress *p)
{
  if (p->tty && p->last_len > 0)
    g_printerr ("\n");
  p->last_len = 0;
}

static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_CONTINUE;
}

static int
finish_error (GError *error, Progress *p)
{
  progress_end (p);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_printerr ("freebits-cli: interrupted; nothing written\n");
      return FB_CLI_EXIT_INTERRUPTED;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  return fb_cli_error (error, error->domain == FB_ERROR ? FB_CLI_EXIT_INPUT : FB_CLI_EXIT_FAILED);
}

/* The network every subcommand starts from, or NULL with its error printed. */
static FbNetwork *
load_network (const char *path)
{
  g_autoptr (GError) error = NULL;
  FbNetwork *net = fb_network_load (path, &error);
  if (net == NULL)
    fb_cli_error (error, FB_CLI_EXIT_INPUT);
  return net;
}

/* measure and run execute the kernels: on QEMU (rv32imc) or this CPU (host). */
static gboolean
target_runs_kernels (const char *target)
{
  return target != NULL && (g_str_equal (target, "rv32imc") || g_str_equal (target, "host"));
}

static int
save_table (FbLatencyTable *table, const char *path)
{
  g_autoptr (GError) error = NULL;
  if (!fb_latency_table_save (table, path, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  return FB_CLI_EXIT_OK;
}

static guint
count_entries (FbLatencyTable *table)
{
  g_autoptr (GPtrArray) layers = fb_latency_table_get_layers (table);
  guint n = 0;
  for (guint i = 0; i < layers->len; i++)
    {
      g_auto (GStrv) keys = fb_latency_table_get_keys (table, g_ptr_array_index (layers, i));
      n += g_strv_length (keys);
    }
  return n;
}

static int
cmd_measure (int argc, char **argv)
{
  g_autofree char *target = NULL, *output = NULL;
  gint max_rows = 32, slice_rows = 4, jobs = 0, repeats = 11, shift = 24; /* as fb_latency_measure_options_init () */
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    FB_CLI_TARGET_ENTRY (&target, "rv32imc (instructions under QEMU) or "
      "host (microseconds on this CPU)"),
    FB_CLI_OUTPUT_ENTRY (&output, "Write the table here", "TABLE"),
    { "max-rows", 0, 0, G_OPTION_ARG_INT, &max_rows, "rv32imc: measure layers with more "
      "output rows on row slices and scale (default 32; 0: never)", "N" },
    { "slice-rows", 0, 0, G_OPTION_ARG_INT, &slice_rows, "rv32imc: rows of the first slice; "
      "the second has twice as many (default 4)", "N" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "rv32imc: QEMU processes (default: the number "
      "of processors)", "N" },
    { "repeats", 0, 0, G_OPTION_ARG_INT, &repeats, "host: samples per call (default 11)", "N" },
    { "shift", 0, 0, G_OPTION_ARG_INT, &shift, "Requantization shift of the random "
      "parameters (default 24)", "D" },
    FB_CLI_QUIET_ENTRY (&quiet, "No progress on stderr"),
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr (GError) error = NULL;
  g_autoptr (FbNetwork) net = NULL;
  g_autoptr (FbLatencyTable) table = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (FbLatencyMeasureJob) job = NULL;
  FbLatencyMeasureOptions opts;
  Progress progress = { isatty (2), FALSE, 0 };
  guint sig_int, sig_term;
  gint64 t0;
  int status;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Measure the latency of every layer at every precision combination it admits:\n"
    "rv32imc: retired instructions of each kernel call under qemu-system-riscv32 -icount;\n"
    "host: median microseconds on this CPU (the spread goes into the table)."))
    return FB_CLI_EXIT_INPUT;
  if (!target_runs_kernels (target))
    return fb_cli_usage (context, "--target must be rv32imc or host (gap8 tables come from "
                                  "\"latency model\")");
  if (output == NULL)
    return fb_cli_usage (context, "-o TABLE is required");
  if (max_rows < 0 || slice_rows < 1 || jobs < 0 || repeats < 1 || shift < 0 || shift > 62)
    return fb_cli_usage (context, "bad --max-rows, --slice-rows, --jobs, --repeats or --shift");
  net = load_network (argv[1]);
  if (net == NULL)
    return FB_CLI_EXIT_INPUT;

  fb_latency_measure_options_init (&opts, target);
  opts.max_rows = (guint) max_rows;
  opts.slice_rows = (guint) slice_rows;
  if (jobs > 0)
    opts.workers = (guint) jobs;
  opts.repeats = (guint) repeats;
  opts.shift = shift;
  /* Under mpirun the ranks share the jobs; rank 0 reports and writes the table. */
  quiet = quiet || !fb_mpi_is_root ();
  progress.quiet = quiet;

  sig_int = g_unix_signal_add (SIGINT, on_signal, cancellable);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, cancellable);
  t0 = g_get_monotonic_time ();
  /* The application layer's job, run on this thread: its stage label is the
   * entry just measured. */
  job = fb_latency_measure_job_new (net, &opts);
  g_signal_connect (job, "progress", G_CALLBACK (on_job_progress), &progress);
  if (fb_job_run (FB_JOB (job), cancellable, &error))
    table = fb_latency_table_ref (fb_latency_measure_job_get_table (job));
  g_source_remove (sig_int);
  g_source_remove (sig_term);
  if (table == NULL)
    return finish_error (error, &progress);
  progress_end (&progress);
  fb_mpi_barrier ();
  status = fb_mpi_is_root () ? save_table (table, output) : FB_CLI_EXIT_OK;
  if (status == FB_CLI_EXIT_OK && !quiet)
    g_printerr ("freebits-cli: %s: %u entries (%s, %s) measured in %.1f s\n", output,
                count_entries (table), target,
                fb_latency_unit_to_string (fb_latency_table_get_unit (table)),
                (double) (g_get_monotonic_time () - t0) * 1e-6);
  return status;
}

static int
cmd_model (int argc, char **argv)
{
  g_autofree char *target = NULL, *output = NULL;
  GOptionEntry entries[] = {
    FB_CLI_TARGET_ENTRY (&target, "gap8 (XpulpV2, no sub-byte SIMD) or "
      "gap8-xpulpnn (nibble/crumb SIMD)"),
    FB_CLI_OUTPUT_ENTRY (&output, "Write the table here", "TABLE"),
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr (GError) error = NULL;
  g_autoptr (FbNetwork) net = NULL;
  g_autoptr (FbLatencyTable) table = NULL;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Model the latency (cycles at 175 MHz) of every layer at every precision combination on an\n"
    "8-core GAP-8 cluster running PULP-NN-style kernels (see docs/latency.md)."))
    return FB_CLI_EXIT_INPUT;
  if (!fb_latency_model_target_is_valid (target))
    return fb_cli_usage (context, "--target must be gap8 or gap8-xpulpnn");
  if (output == NULL)
    return fb_cli_usage (context, "-o TABLE is required");
  net = load_network (argv[1]);
  if (net == NULL)
    return FB_CLI_EXIT_INPUT;
  table = fb_latency_model (net, target, &error);
  if (table == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  return save_table (table, output);
}

static int
cmd_import (int argc, char **argv)
{
  g_autofree char *target = NULL, *output = NULL, *network = NULL, *unit_s = NULL;
  double clock_hz = 0;
  GOptionEntry entries[] = {
    { "network", 'n', 0, G_OPTION_ARG_FILENAME, &network, "The network the table is for",
      "NETWORK" },
    FB_CLI_TARGET_ENTRY (&target, "Name of the target (free text, e.g. "
      "stm32h7)"),
    { "unit", 'u', 0, G_OPTION_ARG_STRING, &unit_s, "cycles, instructions or us", "UNIT" },
    { "clock-hz", 0, 0, G_OPTION_ARG_DOUBLE, &clock_hz, "Clock of the target (optional)", "HZ" },
    FB_CLI_OUTPUT_ENTRY (&output, "Write the table here", "TABLE"),
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("FILE.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (FbNetwork) net = NULL;
  g_autoptr (FbLatencyTable) table = NULL;
  FbLatencyUnit unit;

  if (!fb_cli_parse_one (context, entries, "CSV", &argc, &argv,
    "Turn a CSV of per-layer costs measured on a board into a latency table.\n"
    "Columns (header required): layer,a_bits,w_bits,o_bits,cost; add layers: w_bits = the\n"
    "second input's bits; pool layers: w_bits empty; the classifier: o_bits 32."))
    return FB_CLI_EXIT_INPUT;
  if (network == NULL || target == NULL || unit_s == NULL || output == NULL)
    return fb_cli_usage (context, "--network, --target, --unit and -o are required");
  if (!fb_latency_unit_from_string (unit_s, &unit))
    return fb_cli_usage (context, "--unit must be cycles, instructions or us");
  if (clock_hz < 0 || !isfinite (clock_hz))
    return fb_cli_usage (context, "--clock-hz must not be negative");
  net = load_network (network);
  if (net == NULL)
    return FB_CLI_EXIT_INPUT;
  table = fb_latency_import_csv_file (net, argv[1], target, unit, &error);
  if (table == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (clock_hz > 0)
    fb_latency_table_set_clock_hz (table, clock_hz);
  return save_table (table, output);
}

static int
cmd_run (int argc, char **argv)
{
  g_autofree char *target = NULL, *config_spec = NULL, *latency_path = NULL;
  gboolean json = FALSE;
  gint repeats = 11;
  GOptionEntry entries[] = {
    FB_CLI_TARGET_ENTRY (&target, "rv32imc or host"),
    FB_CLI_CONFIG_ENTRY (&config_spec, "Precision config file or "
      "shorthand (default w8a8)"),
    FB_CLI_LATENCY_ENTRY (&latency_path, "Compare with the sum of this "
      "table's entries"),
    { "repeats", 0, 0, G_OPTION_ARG_INT, &repeats, "host: samples (default 11)", "N" },
    FB_CLI_JSON_ENTRY (&json, "Print JSON"),
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr (GError) error = NULL;
  g_autoptr (FbNetwork) net = NULL;
  g_autoptr (FbPrecisionConfig) config = NULL;
  g_autoptr (FbLatencyTable) table = NULL;
  g_autoptr (GArray) steps = g_array_new (FALSE, TRUE, sizeof (double));
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  FbLatencyMeasureOptions opts;
  Progress progress = { FALSE, TRUE, 0 };
  double total = 0, table_total = NAN;
  const char *spec;
  guint sig_int;
  gboolean ok;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Run the whole network (its plan for CONFIG) end to end once on the target and print the\n"
    "measured latency of the sequence of kernel calls and of each call in it."))
    return FB_CLI_EXIT_INPUT;
  if (!target_runs_kernels (target))
    return fb_cli_usage (context, "--target must be rv32imc or host");
  if (repeats < 1)
    return fb_cli_usage (context, "--repeats must be positive");
  spec = config_spec != NULL ? config_spec : "w8a8";
  net = load_network (argv[1]);
  if (net == NULL)
    return FB_CLI_EXIT_INPUT;
  config = fb_precision_config_new_from_spec (net, spec, &error);
  if (config == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (latency_path != NULL)
    {
      FbMetrics m;
      g_autofree FbLayerMetrics *per_layer = g_new0 (FbLayerMetrics, fb_network_get_n_layers (net));
      table = fb_latency_table_load (latency_path, &error);
      if (table == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      if (!fb_metrics_compute (config, table, &m, per_layer, &error))
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      table_total = m.latency;
    }
  fb_latency_measure_options_init (&opts, target);
  opts.repeats = (guint) repeats;
  sig_int = g_unix_signal_add (SIGINT, on_signal, cancellable);
  ok = fb_latency_run_plan (config, &opts, &total, steps, cancellable, &error);
  g_source_remove (sig_int);
  if (!ok)
    return finish_error (error, &progress);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      json_builder_begin_object (b);
      fb_json_add_string (b, "network", fb_network_get_name (net));
      fb_json_add_string (b, "config", spec);
      fb_json_add_string (b, "target", target);
      fb_json_add_string (b, "unit", g_str_equal (target, "host") ? "us" : "instructions");
      fb_json_add_double (b, "total", total);
      fb_json_add_double_or_null (b, "table_total", table_total);
      json_builder_set_member_name (b, "layers");
      json_builder_begin_array (b);
      for (guint i = 0; i < steps->len; i++)
        {
          json_builder_begin_object (b);
          fb_json_add_string (b, "name", fb_network_get_layer (net, i)->name);
          fb_json_add_double (b, "cost", g_array_index (steps, double, i));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      fb_cli_print_json (root);
    }
  else
    {
      const char *unit = g_str_equal (target, "host") ? "us" : "instructions";
      g_print ("%s, config %s, target %s (end to end, one run)\n\n", fb_network_get_name (net),
               spec, target);
      for (guint i = 0; i < steps->len; i++)
        g_print ("%3u  %-16s %14.10g\n", i, fb_network_get_layer (net, i)->name,
                 g_array_index (steps, double, i));
      g_print ("\ntotal  %.10g %s\n", total, unit);
      if (!isnan (table_total))
        g_print ("table  %.10g %s (%s), measured/table = %.4f\n", table_total,
                 fb_latency_unit_to_string (fb_latency_table_get_unit (table)), latency_path,
                 total / table_total);
    }
  return FB_CLI_EXIT_OK;
}

int
fb_cli_latency (int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*run) (int, char **);
  } cmds[] = {
    { "measure", cmd_measure },
    { "model", cmd_model },
    { "import", cmd_import },
    { "run", cmd_run },
  };
  if (argc >= 2)
    for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
      if (g_str_equal (argv[1], cmds[i].name))
        {
          g_autofree char *prgname = g_strdup_printf ("freebits-cli latency %s", argv[1]);
          g_set_prgname (prgname);
          return cmds[i].run (argc - 1, argv + 1);
        }
  g_printerr ("Usage: freebits-cli latency COMMAND ...\n\n"
              "  measure NETWORK --target rv32imc|host -o TABLE\n"
              "  model   NETWORK --target gap8|gap8-xpulpnn -o TABLE\n"
              "  import  FILE.csv --network NETWORK --target NAME --unit UNIT -o TABLE\n"
              "  run     NETWORK [--config C] --target rv32imc|host [--latency TABLE] [--json]\n\n"
              "Run \"freebits-cli latency COMMAND --help\" for the options.\n");
  return argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
           ? FB_CLI_EXIT_OK : FB_CLI_EXIT_INPUT;
}
