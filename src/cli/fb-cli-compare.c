/* fb-cli-compare.c — freebits-cli compare NETWORK --latency TABLE [--latency TABLE2 ...]
 *                    [--samples N] [--seed S] [--sensitivity FILE] [--limit N] [--json]
 *                    [-o FILE]
 *
 * BOPs vs latency (src/search/fb-compare.h): the pool's size, BOPs and per-target
 * latency, Spearman ρ per target, and the BOPs-optimal vs latency-optimal configs
 * at matched accuracy (measured with the accuracy engine, else the sensitivity
 * proxy of --sensitivity, else matched on size, said so).
 *
 * Under mpirun the accuracy evaluations are split over the ranks (fb-compare.c);
 * rank 0 prints and writes -o FILE, the same bytes as one process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <unistd.h>

#include "fb-cli.h"
#include "fb-compare.h"
#include "fb-error.h"
#include "fb-json.h"
#include "fb-mpi.h"

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  if (*(gboolean *) user_data)
    g_printerr ("\r\033[Kcompare: %3.0f%% %s", 100 * fraction, message);
}

static void
print_entry (JsonObject *o, const char *what)
{
  g_autofree char *size = fb_cli_group (json_object_get_int_member (o, "size_bytes"));
  g_autofree char *bops = fb_cli_group (json_object_get_int_member (o, "bops"));
  JsonNode *acc = json_object_get_member (o, "accuracy");
  g_autofree char *a = JSON_NODE_HOLDS_NULL (acc) ? g_strdup ("-")
                                                  : g_strdup_printf ("%.2f%%", 100 * json_node_get_double (acc));

  g_print ("      %-16s %-34s %14.10g %12s %16s %9s\n", what, json_object_get_string_member (o, "label"),
           json_object_get_double_member (o, "latency"), size, bops, a);
}

/* "+0.873" or "n/a" into @buf. */
static const char *
rho_text (JsonNode *node, char buf[16])
{
  if (JSON_NODE_HOLDS_NULL (node))
    return "n/a";
  g_snprintf (buf, 16, "%+.3f", json_node_get_double (node));
  return buf;
}

static void
print_text (JsonObject *root)
{
  JsonArray *targets = json_object_get_array_member (root, "targets");
  const char *acc = json_object_get_string_member (root, "accuracy");

  g_print ("%s: %" G_GINT64_FORMAT " distinct configs (%" G_GINT64_FORMAT " random, seed %" G_GINT64_FORMAT
           ", plus uniform, BOPs-targeted, Free Bits and Pareto results; fronts thinned to %" G_GINT64_FORMAT
           " points)\n", json_object_get_string_member (root, "network"), json_object_get_int_member (root, "n_configs"),
           json_object_get_int_member (root, "samples"), json_object_get_int_member (root, "seed"),
           json_object_get_int_member (root, "max_front"));
  if (g_str_equal (acc, "none"))
    g_print ("No accuracy engine and no --sensitivity: the key table is matched on weight SIZE (size >= S as a\n"
             "stand-in for accuracy; it ignores activation bits), not on accuracy.\n");
  else if (g_str_equal (acc, "proxy"))
    g_print ("Accuracy is the additive sensitivity proxy (w8a8 accuracy minus the summed per-entry drops), "
             "not measured.\n");
  for (guint t = 0; t < json_array_get_length (targets); t++)
    {
      JsonObject *to = json_array_get_object_element (targets, t);
      JsonObject *ro = json_object_get_object_member (to, "random_only");
      JsonArray *rows = json_object_get_array_member (to, "rows");
      JsonNode *rb = json_object_get_member (to, "spearman_bops_latency");
      JsonNode *rs = json_object_get_member (to, "spearman_size_latency");
      JsonNode *rrb = json_object_get_member (ro, "spearman_bops_latency");
      JsonNode *rrs = json_object_get_member (ro, "spearman_size_latency");
      char b1[16], b2[16], b3[16], b4[16];

      g_print ("\n%s (%s)\n", json_object_get_string_member (to, "target"), json_object_get_string_member (to, "unit"));
      g_print ("  Spearman ρ, all configs: BOPs↔latency %s, size↔latency %s\n",
               rho_text (rb, b1), rho_text (rs, b2));
      g_print ("  Spearman ρ, %" G_GINT64_FORMAT " random configs: BOPs↔latency %s, size↔latency %s\n",
               json_object_get_int_member (ro, "n"),
               rho_text (rrb, b3), rho_text (rrs, b4));
      g_print ("  BOPs-optimal vs latency-optimal at matched %s:\n",
               g_str_equal (json_object_get_string_member (to, "matched_by"), "size") ? "size" : "accuracy");
      g_print ("      %-16s %-34s %14s %12s %16s %9s\n", "", "config", "latency", "size B", "BOPs", "accuracy");
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonObject *row = json_array_get_object_element (rows, r);
          g_print ("    %s (%" G_GINT64_FORMAT " eligible)\n", json_object_get_string_member (row, "level"),
                   json_object_get_int_member (row, "n_eligible"));
          if (!json_object_has_member (row, "bops_optimal"))
            {
              g_print ("      (no config qualifies)\n");
              continue;
            }
          print_entry (json_object_get_object_member (row, "bops_optimal"), "fewest BOPs");
          print_entry (json_object_get_object_member (row, "latency_optimal"), "lowest latency");
          g_print ("      BOPs-optimal is %.3f× the latency-optimal latency\n",
                   json_object_get_double_member (row, "latency_ratio"));
        }
    }
}

int
fb_cli_compare (int argc, char **argv)
{
  g_auto(GStrv) latency_paths = NULL;
  g_autofree char *sensitivity_path = NULL, *weights = NULL, *output = NULL;
  gboolean json = FALSE, tty = isatty (2) && fb_mpi_is_root ();
  gint samples = 200, max_front = 64, limit = -1;
  gint64 seed = 1;
  g_auto(FbCliData) data = { 0 };
  GOptionEntry entries[] = {
    { "latency", 'l', 0, G_OPTION_ARG_FILENAME_ARRAY, &latency_paths, "Latency table, once per target", "TABLE" },
    { "samples", 'n', 0, G_OPTION_ARG_INT, &samples, "Random configs (default 200)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the random configs (default 1)", "S" },
    { "max-front", 0, 0, G_OPTION_ARG_INT, &max_front, "Points kept per Pareto front (default 64; 0 = all)", "N" },
    { "sensitivity", 0, 0, G_OPTION_ARG_FILENAME, &sensitivity_path,
      "Match on the accuracy proxy cached in a candidates file (without the accuracy engine)", "FILE" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Test images per accuracy evaluation (needs the accuracy engine)", "N" },
    FB_CLI_WEIGHTS_ENTRY (&weights, "Trained weights for the accuracy engine"),
    FB_CLI_DATA_ENTRIES (&data),
    FB_CLI_JSON_ENTRY (&json, "Print JSON"),
    FB_CLI_OUTPUT_ENTRY (&output, "Also write the JSON here (atomically)", "FILE"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_latency_table_unref);
  g_autoptr(FbAccuracyOracle) oracle = NULL;
  g_autoptr(FbAppSession) session = NULL;
  g_autoptr(FbSensitivity) sensitivity = NULL;
  g_autoptr(JsonNode) root = NULL;
  FbCompareOptions opt;
  int status;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Compare BOPs with table latency: Spearman rank correlation per target and the\n"
    "BOPs-optimal vs latency-optimal config at matched accuracy (or size without one)."))
    return FB_CLI_EXIT_INPUT;
  if (latency_paths == NULL || latency_paths[0] == NULL)
    return fb_cli_usage (context, "at least one --latency TABLE is required");
  if (samples < 0 || samples > 1000000 || max_front < 0 || limit < -1 || seed < 0 || seed > G_MAXUINT32)
    return fb_cli_usage (context, "--samples, --max-front, --limit and --seed must be >= 0 (seed < 2^32)");

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  for (guint i = 0; latency_paths[i]; i++)
    {
      FbLatencyTable *t = fb_cli_load_table (latency_paths[i], net, &error);
      if (t == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      g_ptr_array_add (tables, t);
    }
  if (!(session = fb_cli_session_new (net, weights, &data, &status)))
    return status;
  oracle = fb_cli_create_oracle (session, &error);
  if (oracle == NULL && error)
    {
      if (limit >= 0)
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      g_printerr ("freebits-cli: warning: accuracy engine unavailable (%s); no measured accuracy\n", error->message);
      g_clear_error (&error);
    }
  if (oracle == NULL && limit >= 0)
    {
      g_printerr ("freebits-cli: no accuracy engine for this network (%s): --limit needs one\n",
                  fb_network_get_name (net));
      return FB_CLI_EXIT_INPUT;
    }
  if (sensitivity_path)
    {
      g_autoptr(FbCandidateList) cached = fb_candidate_list_load (net, sensitivity_path, &error);
      if (cached == NULL || !(sensitivity = fb_sensitivity_new_from_candidates (cached, sensitivity_path, &error)))
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }

  fb_compare_options_init (&opt);
  opt.samples = samples;
  opt.seed = (guint32) seed;
  opt.max_front = max_front;
  opt.oracle = oracle;
  if (oracle)
    opt.limit = limit >= 0 ? (guint) limit : fb_accuracy_oracle_get_default_limit (oracle);
  opt.sensitivity = sensitivity;
  root = fb_compare_run (net, tables, &opt, on_progress, &tty, NULL, &error);
  if (tty)
    g_printerr ("\r\033[K");
  if (root == NULL)
    return fb_cli_error (error, error->domain == FB_ERROR ? FB_CLI_EXIT_INPUT : FB_CLI_EXIT_FAILED);
  /* Every rank got here (a failing one ends the run first): only then the file. */
  fb_mpi_barrier ();
  if (output != NULL && fb_mpi_is_root () && !fb_json_save_file (root, output, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  if (json)
    fb_cli_print_json (root);
  else
    print_text (json_node_get_object (root));
  return FB_CLI_EXIT_OK;
}
